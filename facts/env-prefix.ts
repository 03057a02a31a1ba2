/** `nats-tutorial` → `NATS_TUTORIAL_`: the prefix of a stack's environment variables. */
export function envPrefix(stackName: string): string {
  return `${stackName.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_`;
}
