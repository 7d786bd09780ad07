// One codec for JSON control messages: size check, JSON parse, schema check. Never throws
// anything but ProtocolError, so a bad message is an error value, never a crash.

import type { z } from 'zod';
import { ProtocolError } from './errors.js';
import { maxControlMessageBytes } from './limits.js';
import { agentMessageSchema, consoleMessageSchema, type AgentMessage, type ConsoleMessage } from './messages.js';

const knownAgentTypes = new Set(agentMessageSchema.options.map((o) => o.shape.type.value as string));
const knownConsoleTypes = new Set(consoleMessageSchema.options.map((o) => o.shape.type.value as string));

function decodeWith<T>(schema: z.ZodType<T>, known: Set<string>, text: string): T {
  // String length in UTF-16 units is a lower bound of the UTF-8 size; ws already caps the
  // payload, this stops a large-but-allowed text frame from reaching JSON.parse.
  if (text.length > maxControlMessageBytes) {
    throw new ProtocolError('message-too-large', `control message of ${text.length} characters exceeds ${maxControlMessageBytes}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProtocolError('message-malformed', 'control message is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ProtocolError('message-malformed', 'control message is not a JSON object');
  }
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string' || !known.has(type)) {
    throw new ProtocolError('message-unknown-type', `unknown message type ${JSON.stringify(String(type)).slice(0, 80)}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') || '(root)' : '(root)';
    throw new ProtocolError('message-invalid', `invalid ${type} message at ${where}: ${issue?.message ?? 'schema mismatch'}`);
  }
  return parsed.data;
}

/** Parses a message an agent sent to the console. */
export function decodeAgentMessage(text: string): AgentMessage {
  return decodeWith(agentMessageSchema, knownAgentTypes, text);
}

/** Parses a message the console sent to an agent. */
export function decodeConsoleMessage(text: string): ConsoleMessage {
  return decodeWith(consoleMessageSchema, knownConsoleTypes, text);
}

/** Serialises an outgoing message (typed, so the sender cannot build an invalid one by accident). */
export function encodeMessage(message: AgentMessage | ConsoleMessage): string {
  return JSON.stringify(message);
}
