// The agent's event log: one line per event on stderr, "time event key=value …", greppable by IT.

export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** Writes one event line. Never called per thumbnail or per ping: only for things IT would look for. */
export type AgentLog = (event: string, fields?: LogFields) => void;

function formatValue(value: string | number | boolean | null): string {
  const text = String(value);
  // Quote only when needed so the common case stays easy to grep.
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

export function formatLogLine(event: string, fields?: LogFields, now: Date = new Date()): string {
  let line = `${now.toISOString()} ${event}`;
  if (fields) {
    for (const key of Object.keys(fields)) {
      const value = fields[key];
      if (value === undefined) continue;
      line += ` ${key}=${formatValue(value)}`;
    }
  }
  return line;
}

/** The log the CLI uses: stderr, so stdout stays for command output (status --json). */
export function stderrLog(): AgentLog {
  return (event, fields) => {
    process.stderr.write(formatLogLine(event, fields) + '\n');
  };
}

/** A log that drops everything (tests, library use). */
export const silentLog: AgentLog = () => {};
