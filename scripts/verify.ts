/**
 * `npm run verify -- --lb <host> ...`: checks a NATS cluster behind a load balancer and prints
 * one line per check. Exit status 0 when every check passes, 1 when one fails, 2 on bad arguments.
 */
import { USAGE, formatCheck, parseVerifyArgs } from "../verify/cli";
import { errorMessage } from "../verify/errors";
import { UsageError } from "../verify/args";
import { verify } from "../verify/verify";

async function main(): Promise<number> {
  const command = parseVerifyArgs(process.argv.slice(2), process.env);
  if (command.help) {
    console.log(USAGE);
    return 0;
  }
  const result = await verify({ ...command.options, log: (line) => console.error(line) });
  result.checks.forEach((check) => console.log(formatCheck(check)));
  return result.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exitCode = UsageError.EXIT_CODE;
    } else {
      console.error(`verify failed: ${errorMessage(error)}`);
      process.exitCode = 1;
    }
  },
);
