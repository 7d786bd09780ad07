// Machines: enrolled student PCs, their keys, what their agent last told us, and revocation.

import type { Database } from 'better-sqlite3';
import type { Machine } from '../../shared/api/contract.js';
import type { AgentState, Inventory, ScreenInfo } from '../../shared/protocol/messages.js';

/** A machine as stored (online-ness lives in the agent hub, not here). */
export interface MachineRecord extends Omit<Machine, 'online'> {
  publicKey: string;
  revokedAt: number | null;
}

interface MachineRow {
  id: string;
  lab_id: string | null;
  name: string;
  hostname: string;
  os: string;
  user: string | null;
  agent_version: string;
  desktop: string;
  screens: string;
  public_key: string;
  enrolled_at: number;
  last_seen_at: number | null;
  state: string;
  revoked_at: number | null;
  remote_address: string | null;
}

const columns = `id, lab_id, name, hostname, os, user, agent_version, desktop, screens, public_key,
  enrolled_at, last_seen_at, state, revoked_at, remote_address`;

function toRecord(row: MachineRow): MachineRecord {
  return {
    id: row.id,
    labId: row.lab_id,
    name: row.name,
    hostname: row.hostname,
    os: row.os,
    user: row.user,
    agentVersion: row.agent_version,
    desktop: row.desktop,
    screens: JSON.parse(row.screens) as ScreenInfo[],
    publicKey: row.public_key,
    enrolledAt: row.enrolled_at,
    lastSeenAt: row.last_seen_at,
    state: JSON.parse(row.state) as AgentState,
    revokedAt: row.revoked_at,
    remoteAddress: row.remote_address,
  };
}

export interface EnrolledMachine {
  id: string;
  labId: string | null;
  hostname: string;
  publicKey: string;
  remoteAddress: string | null;
}

export interface HelloInfo {
  hostname: string;
  os: string;
  user: string | null;
  agentVersion: string;
  desktop: string;
  screens: ScreenInfo[];
  state: AgentState;
}

export type Machines = ReturnType<typeof createMachines>;

export function createMachines(db: Database) {
  const byId = db.prepare<[string], MachineRow>(`SELECT ${columns} FROM machines WHERE id = ?`);
  const listAll = db.prepare<[], MachineRow>(`SELECT ${columns} FROM machines WHERE revoked_at IS NULL ORDER BY name, id`);
  const listInLab = db.prepare<[string], MachineRow>(
    `SELECT ${columns} FROM machines WHERE revoked_at IS NULL AND lab_id = ? ORDER BY name, id`,
  );
  const insert = db.prepare(
    `INSERT INTO machines (id, lab_id, name, hostname, public_key, enrolled_at, remote_address)
     VALUES (@id, @labId, @hostname, @hostname, @publicKey, @now, @remoteAddress)
     ON CONFLICT (id) DO UPDATE SET lab_id = excluded.lab_id, hostname = excluded.hostname,
       public_key = excluded.public_key, enrolled_at = excluded.enrolled_at,
       remote_address = excluded.remote_address, revoked_at = NULL`,
  );
  const hello = db.prepare(
    `UPDATE machines SET hostname = @hostname, os = @os, user = @user, agent_version = @agentVersion,
       desktop = @desktop, screens = @screens, state = @state WHERE id = @id`,
  );
  const seen = db.prepare<[number, string | null, string]>('UPDATE machines SET last_seen_at = ?, remote_address = ? WHERE id = ?');
  const setState = db.prepare<[string, string]>('UPDATE machines SET state = ? WHERE id = ?');
  const setSession = db.prepare<[string | null, string, string]>('UPDATE machines SET user = ?, screens = ? WHERE id = ?');
  const setInventory = db.prepare<[string, string]>('UPDATE machines SET inventory = ? WHERE id = ?');
  const getInventory = db.prepare<[string], { inventory: string | null }>('SELECT inventory FROM machines WHERE id = ?');
  const rename = db.prepare<[string, string]>('UPDATE machines SET name = ? WHERE id = ?');
  const move = db.prepare<[string, string]>('UPDATE machines SET lab_id = ? WHERE id = ?');
  const revoke = db.prepare<[number, string]>('UPDATE machines SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');

  function findMachine(machineId: string): MachineRecord | null {
    const row = byId.get(machineId);
    return row ? toRecord(row) : null;
  }

  return {
    /** Any machine, including removed ones (the hub must tell a revoked key from an unknown one). */
    findMachine,
    /** Machines still enrolled, optionally only one lab's. */
    listMachines(labId?: string): MachineRecord[] {
      return (labId === undefined ? listAll.all() : listInLab.all(labId)).map(toRecord);
    },
    /** Records a freshly enrolled machine; re-enrolling a removed machine's key restores it. */
    enrolMachine(machine: EnrolledMachine, now = Date.now()): MachineRecord {
      insert.run({ ...machine, now });
      return findMachine(machine.id)!;
    },
    recordHello(machineId: string, info: HelloInfo): void {
      hello.run({
        id: machineId,
        hostname: info.hostname,
        os: info.os,
        user: info.user,
        agentVersion: info.agentVersion,
        desktop: info.desktop,
        screens: JSON.stringify(info.screens),
        state: JSON.stringify(info.state),
      });
    },
    recordSeen(machineId: string, at: number, remoteAddress: string | null): void {
      seen.run(at, remoteAddress, machineId);
    },
    recordState(machineId: string, state: AgentState): void {
      setState.run(JSON.stringify(state), machineId);
    },
    recordSession(machineId: string, user: string | null, screens: ScreenInfo[]): void {
      setSession.run(user, JSON.stringify(screens), machineId);
    },
    recordInventory(machineId: string, inventory: Inventory): void {
      setInventory.run(JSON.stringify(inventory), machineId);
    },
    inventoryOf(machineId: string): Inventory | null {
      const row = getInventory.get(machineId);
      return row?.inventory ? (JSON.parse(row.inventory) as Inventory) : null;
    },
    renameMachine(machineId: string, name: string): void {
      rename.run(name.trim(), machineId);
    },
    moveMachine(machineId: string, labId: string): void {
      move.run(labId, machineId);
    },
    /** Revokes the machine's key; returns false when it was unknown or already removed. */
    removeMachine(machineId: string, now = Date.now()): boolean {
      return revoke.run(now, machineId).changes > 0;
    },
  };
}
