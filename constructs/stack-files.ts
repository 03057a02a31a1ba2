import { rmSync } from "node:fs";
import { join } from "node:path";
import { App, TerraformStack } from "cdktf";

/** The two files a stack directory can hold: Terraform JSON, or HCL after `cdktf synth --hcl`. */
const STACK_FILES = ["cdk.tf.json", "cdk.tf"] as const;

/**
 * Deletes, in the directory of every stack `app` has just synthesized, the stack file of the
 * other format: cdktf writes `cdk.tf` or `cdk.tf.json` and never removes the other, and
 * Terraform reads both, so a `cdktf deploy` after `cdktf synth --hcl` would fail on duplicate
 * resources, outputs and providers. Call after `app.synth()`; returns the files it removed.
 */
export function removeOtherFormat(app: App): string[] {
  const written = app.manifest.stackFileName;
  const stale = STACK_FILES.filter((name) => name !== written);
  return app.node.children.filter(TerraformStack.isStack).flatMap((stack) => {
    const dir = join(app.outdir, app.manifest.forStack(stack).workingDirectory);
    return stale.map((name) => join(dir, name)).filter((file) => {
      try {
        rmSync(file);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
        throw error;
      }
    });
  });
}
