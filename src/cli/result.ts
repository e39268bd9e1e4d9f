/** What a command handler returns; main.ts prints it and exits with its code. */
export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr?: string;
}
