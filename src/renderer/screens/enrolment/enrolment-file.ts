// The enrolment file IT staff copy to student PCs, and the agent command line that uses it.
import type { Enrolment } from '../../../shared/api/contract.js';

export const enrolmentFileName = 'safelab-enrolment.json';

/** The file content exactly as the agent reads it. */
export function enrolmentFileText(enrolment: Enrolment): string {
  return `${JSON.stringify(enrolment.file, null, 2)}\n`;
}

/** Agent command as installed on a student PC (same name the IT command line prints). */
export const agentProgram = 'safelab-agent';

/** Commands to run on a student PC (as administrator): with the file, or by typing the code. */
export function agentEnrolCommands(enrolment: Enrolment): { withFile: string; withCode: string } {
  const url = enrolment.consoleUrls[0] ?? enrolment.file.consoleUrl;
  return {
    withFile: `${agentProgram} enrol --enrolment-file ${enrolmentFileName}`,
    withCode: `${agentProgram} enrol --console ${url} --code ${enrolment.code}`,
  };
}
