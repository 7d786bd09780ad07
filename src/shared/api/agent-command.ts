// The agent command lines the console shows IT staff (the Add computers dialog, the IT command
// line, the README): kept in one place so what staff copy is exactly what the agent runs.
//
// A student PC runs the agent from a copy of the SafeLab folder (built with `npm ci && npm run
// build`), with Node, from inside that folder and as administrator/root.

/** The agent program as typed in the SafeLab folder on a student PC. */
export const agentProgram = 'node dist/agent/cli.js';

/** The enrolment file's name when the console exports it. */
export const enrolmentFileName = 'safelab-enrolment.json';

export interface AgentCommands {
  /** Enrol with the enrolment file copied next to the SafeLab folder's dist/. */
  withFile: string;
  /** Enrol by typing the console address and the code. */
  withCode: string;
  /** Then start the agent. */
  run: string;
}

export function agentCommands(consoleUrl: string, code: string, fileName: string = enrolmentFileName): AgentCommands {
  return {
    withFile: `${agentProgram} enrol --enrolment-file ${fileName}`,
    withCode: `${agentProgram} enrol --console ${consoleUrl} --code ${code}`,
    run: `${agentProgram} run`,
  };
}
