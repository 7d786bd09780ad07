// The enrolment file IT staff copy to student PCs, and the agent command lines that use it.
import { agentCommands, enrolmentFileName, type AgentCommands } from '../../../shared/api/agent-command.js';
import type { Enrolment } from '../../../shared/api/contract.js';

export { enrolmentFileName };

/** The file content exactly as the agent reads it. */
export function enrolmentFileText(enrolment: Enrolment): string {
  return `${JSON.stringify(enrolment.file, null, 2)}\n`;
}

/** Commands to run on a student PC (as administrator, in the SafeLab folder): enrol, then run. */
export function agentEnrolCommands(enrolment: Enrolment): AgentCommands {
  return agentCommands(enrolment.consoleUrls[0] ?? enrolment.file.consoleUrl, enrolment.code);
}
