/** Where a command writes: `out` is the command's result (stdout), `err` notices and progress (stderr). */
export interface CommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** The process's own stdout and stderr. */
export const processIo: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};
