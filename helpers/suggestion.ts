import { distance } from "fastest-levenshtein";

/**
 * `did you mean X?` for the candidate closest to what the user typed (case and underscores
 * ignored) when one is close, else `expected one of …` (`expected`, by default the candidates).
 */
export function suggestion(typed: string, candidates: readonly string[], expected: readonly string[] = candidates): string {
  const best = closest(typed, candidates);
  return best === undefined ? `expected one of ${expected.join(", ")}` : `did you mean ${best}?`;
}

/**
 * The candidate closest to `typed` when it is close enough to be a typo, compared in lowercase
 * without underscores: at most 2 edits, or a quarter of the typed letters when more.
 */
export function closest(typed: string, candidates: readonly string[]): string | undefined {
  const normal = (text: string) => text.toLowerCase().replace(/_/g, "");
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const edits = distance(normal(typed), normal(candidate));
    if (best === undefined || edits < best.distance) best = { candidate, distance: edits };
  }
  if (best === undefined || best.distance > Math.max(2, Math.floor(normal(typed).length / 4))) return undefined;
  return best.candidate;
}
