/**
 * `npm run verify -- --lb <host> ...`: checks a NATS cluster behind a load balancer and prints
 * one line per check. Exit status 0 when every check passes, 1 when one fails, 2 on bad arguments.
 */
import { printable } from "../helpers/terminal";
import { USAGE, formatCheck, parseVerifyArgs } from "../verify/cli";
import { runCli } from "../verify/args";
import { verify } from "../verify/verify";

void runCli("verify", USAGE, async () => {
  const command = parseVerifyArgs(process.argv.slice(2), process.env);
  if (command.help) {
    console.log(USAGE);
    return 0;
  }
  const result = await verify({ ...command.options, log: (line) => console.error(printable(line)) });
  result.checks.forEach((check) => console.log(formatCheck(check)));
  return result.ok ? 0 : 1;
});
