import os from 'node:os';

/** The machine a run measured on, written beside the results so figures can be compared. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memory_gib: number;
  node: string;
  os: string;
}

export function machineInfo(): MachineInfo {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}
