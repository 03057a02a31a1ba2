// globalTeardown of both projects: see run-tmpdir.ts.
import { removeRunTmpdir } from "./run-tmpdir";

export default removeRunTmpdir;
