/**
 * `npm run sweep -- --tag T [--region R] [--yes]`: finds the droplets, load balancers,
 * firewalls and volumes that carry a tag through the DigitalOcean API and, with --yes, deletes
 * them: the clean-up for a cluster whose Terraform state is lost. Lists only without --yes.
 */
import { PATTERNS } from "../constructs/validation";
import { DEFAULT_API_URL, DigitalOceanClient } from "../sweep/digitalocean";
import { sweep } from "../sweep/sweep";
import { HELP_OPTION, UsageError, parseCli, runCli, usageText } from "../verify/args";
import type { Env } from "../verify/env";

const USAGE = usageText("npm run sweep -- --tag TAG [--region REGION] [--yes]", [
  ["--tag", "the stack's tag (nats-tutorial: nats); its droplets, volumes, the load balancer\nthat targets it and the firewall that covers it are swept (required)"],
  ["--region", "only this region, e.g. nyc3 (default: every region)"],
  ["--yes", "delete what was found (default: only list it)"],
], [
  "Needs DIGITALOCEAN_TOKEN (write scope to delete); it is never printed.",
  "DIGITALOCEAN_API_URL moves the API (default https://api.digitalocean.com), as for the provider.",
  "Exit status: 0 listed or all deleted, 1 an API call or a delete failed, 2 bad arguments.",
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
  if (values.tag === undefined) throw new UsageError("--tag is required: the tag of the stack's droplets");
  if (!PATTERNS.tag.pattern.test(values.tag)) throw new UsageError(`--tag ${JSON.stringify(values.tag)} is not a tag: expected ${PATTERNS.tag.allowed}`);
  if (values.region !== undefined && !PATTERNS.region.pattern.test(values.region)) {
    throw new UsageError(`--region ${JSON.stringify(values.region)} is not a region: expected ${PATTERNS.region.allowed}`);
  }
  const api = new DigitalOceanClient(apiUrl(process.env), token(process.env));
  return sweep(api, { tag: values.tag, region: values.region, yes: values.yes, print: (line) => console.log(line) });
});
