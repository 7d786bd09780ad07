// How the console reads what an agent says about its filter: a PC whose filter runs but whose DNS
// firewall is not in force filters (with a warning that programs can go round it); a PC whose
// filter does not run, or whose resolver does not use it, does not filter. Never the one for the other.
import { describe, expect, it } from 'vitest';
import type { MachineFilterStatus } from '../../../src/shared/api/contract.js';
import type { AgentFilterState } from '../../../src/shared/protocol/messages.js';
import { addAgentReport, filterWarning, notFilteringReason, notProtectedReason, webFilterCapability } from '../../../src/main/web-filtering/push.js';

const listening = ['127.0.0.1:53'];
const firewallFailed = { code: 'firewall-failed', detail: 'nft: Operation not permitted' };

function status(state: MachineFilterStatus['state'], reason?: string): MachineFilterStatus {
  return { machineId: 'm', labId: 'l', state, wantedProfileId: 'preset-thcs', profileId: null, mode: null, listSha256: null, listening, sentList: false, updatedAt: 1, ...(reason ? { reason } : {}) };
}

describe('what an agent says about its filter', () => {
  it('takes a filter without its DNS firewall as filtering, with the firewall-failed warning', () => {
    const filter: AgentFilterState = { listening, problem: firewallFailed };
    expect(notFilteringReason([webFilterCapability], filter)).toBeNull();
    expect(notProtectedReason(filter)).toBeNull();
    expect(filterWarning(filter)).toBe('firewall-failed');
    const applied = status('applied');
    addAgentReport(applied, filter);
    expect(applied).toMatchObject({ state: 'applied', warning: 'firewall-failed', detail: 'nft: Operation not permitted' });
    expect(applied.reason).toBeUndefined();
  });

  it('takes a filter its resolver does not use as not protected, with no warning', () => {
    for (const code of ['resolver-failed', 'resolver-contested']) {
      const filter: AgentFilterState = { listening, problem: { code, detail: 'why' } };
      expect(notProtectedReason(filter)).toBe(code);
      expect(filterWarning(filter)).toBeNull();
      const notFiltering = status('not-filtering', code);
      addAgentReport(notFiltering, filter);
      expect(notFiltering).toMatchObject({ reason: code, detail: 'why' });
      expect(notFiltering.warning).toBeUndefined();
    }
  });

  it('takes a filter that does not listen as not filtering, whatever else it says', () => {
    const filter: AgentFilterState = { listening: [], problem: { code: 'listen-failed', detail: 'EADDRINUSE' } };
    expect(notFilteringReason([webFilterCapability], filter)).toBe('listen-failed');
    expect(filterWarning(filter)).toBeNull();
    // A firewall problem without a running filter is no "filtering with a gap".
    expect(filterWarning({ listening: [], problem: firewallFailed })).toBeNull();
    expect(notFilteringReason([webFilterCapability], { listening: [], problem: firewallFailed })).toBe('firewall-failed');
  });

  it('keeps the warning on a PC still taking new rules, and leaves it off a PC that filters nothing', () => {
    const filter: AgentFilterState = { listening, problem: firewallFailed };
    const pending = status('pending');
    addAgentReport(pending, filter);
    expect(pending.warning).toBe('firewall-failed');
    const refused = status('not-filtering', 'no-dns-listener');
    addAgentReport(refused, filter);
    expect(refused.warning).toBeUndefined();
    expect(refused.detail).toBeUndefined();
  });

  it('reports the resolver-drift count with or without a problem', () => {
    const applied = status('applied');
    addAgentReport(applied, { listening, resolverDrift: { count: 3, lastAt: 99 } });
    expect(applied).toMatchObject({ resolverDrift: { count: 3, lastAt: 99 } });
    expect(applied.warning).toBeUndefined();
  });
});
