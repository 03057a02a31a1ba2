/**
 * `npm run sweep -- --tag T [--region R] [--yes]`: finds what a stack created through the
 * DigitalOcean API by its tag (droplets, volumes, both load balancers, the firewall, the tags)
 * and, with --yes, deletes it: the clean-up for a cluster whose Terraform state is lost. Lists
 * only without --yes.
 */
import { PATTERNS } from "../facts/validation";
import { DEFAULT_API_URL, DigitalOceanClient } from "../sweep/digitalocean";
import { sweep } from "../sweep/sweep";
import { HELP_OPTION, UsageError, parseCli, runCli, usageText } from "../verify/args";
import type { Env } from "../verify/env";

const USAGE = usageText("npm run sweep -- --tag TAG [--region REGION] [--yes]", [
  ["--tag", "the stack's tag (nats: nats-cluster, nats-tutorial: nats); its droplets and volumes,\nthe load balancers that target it or <tag>-seed, the firewall that covers it\nand the tags are swept (required)"],
  ["--region", "only this region, e.g. nyc3 (default: every region)"],
  ["--yes", "delete what was found (default: only list it)"],
], [
  "Needs DIGITALOCEAN_TOKEN (write scope to delete); it is never printed.",
  "DIGITALOCEAN_API_URL moves the API (default https://api.digitalocean.com), as for the provider.",
  "--yes deletes load balancers, droplets (waiting until they are gone), volumes, firewalls, then tags,",
  "each step only after the previous one succeeded. A firewall that also covers other tags or droplets",
  "is not deleted: only the tag is removed from it. Each option may be given once.",
  "Exit status: 0 listed or all deleted (what was kept is named, with the reason), 1 an API call or a",
  "delete failed (run it again), 2 bad arguments.",
]);

/** The API base URL: https, or http only to a loopback address (a local fake), never the token in clear elsewhere. */
function apiUrl(env: Env): string {
  const raw = env.DIGITALOCEAN_API_URL || DEFAULT_API_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`DIGITALOCEAN_API_URL ${JSON.stringify(raw)} is not a URL`);
  }
  const loopback = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/.test(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new UsageError(`DIGITALOCEAN_API_URL ${JSON.stringify(raw)} must be https (http only on loopback): the token travels with every call`);
  }
  return raw;
}

function token(env: Env): string {
  const value = env.DIGITALOCEAN_TOKEN;
  if (!value) throw new UsageError("DIGITALOCEAN_TOKEN is not set: export a DigitalOcean personal access token");
  if (!/^[\x21-\x7e]+$/.test(value)) throw new UsageError("DIGITALOCEAN_TOKEN holds spaces or control characters: paste the token alone");
  return value;
}

void runCli("sweep", USAGE, async () => {
  const values = parseCli(process.argv.slice(2), {
    tag: { type: "string" },
    region: { type: "string" },
    yes: { type: "boolean", default: false },
    ...HELP_OPTION,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const { tag, region } = values;
  if (tag === undefined) throw new UsageError("--tag is required: the tag of the stack's droplets");
  if (!PATTERNS.tag.pattern.test(tag)) throw new UsageError(`--tag ${JSON.stringify(tag)} is not a tag: expected ${PATTERNS.tag.allowed}`);
  if (region !== undefined && !PATTERNS.region.pattern.test(region)) {
    throw new UsageError(`--region ${JSON.stringify(region)} is not a region: expected ${PATTERNS.region.allowed}`);
  }
  const api = new DigitalOceanClient(apiUrl(process.env), token(process.env));
  return sweep(api, { tag, region, yes: values.yes, print: (line) => console.log(line) });
});
