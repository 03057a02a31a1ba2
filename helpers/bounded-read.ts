import { closeSync, openSync, readSync } from "node:fs";

/**
 * A file's text, read up to `maxBytes`: a larger file (or an endless one such as /dev/zero)
 * is refused with a message naming `what` and the limit, without reading past it.
 */
export function readTextBounded(file: string, maxBytes: number, what: string): string {
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > maxBytes) throw new Error(`${what} ${file} is larger than ${maxBytes} bytes: it cannot be what was asked for`);
    return buffer.subarray(0, length).toString("utf8");
  } finally {
    closeSync(fd);
  }
}
