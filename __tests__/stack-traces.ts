// Run after jest's environment is set up (setupFilesAfterEnv), for every test file.
//
// cdktf captures a stack trace of unlimited depth for every token it creates (each Intrinsic and
// Lazy: hundreds a synthesis), on plain objects, and shows one only when its token fails to resolve.
// jest maps every frame of every capture through the source maps of its file (source-map-support):
// about a fifth of the time of a unit test file that synthesizes. Errors keep jest's mapped stack;
// any other capture gets its top frames in V8's own format (positions in the transpiled code), which
// still reach the construct that made the token.
import { types } from "node:util";

const TOKEN_FRAMES = 16;
const mapped = Error.prepareStackTrace;

Error.prepareStackTrace = (target: unknown, frames: NodeJS.CallSite[]): unknown =>
  mapped !== undefined && types.isNativeError(target)
    ? mapped(target as Error, frames)
    : [String(target), ...frames.slice(0, TOKEN_FRAMES).map((frame) => `    at ${frame.toString()}`)].join("\n");
