/**
 * Every `handoff` command, in the order `handoff help` lists them. Adding a command: a file in
 * this folder exporting `defineCommand({...})`, and one line here.
 */
import type { AnyCommand } from '../command.js';
import { identityNew, identityShow } from './identity.js';
import { nodeExitSatellite } from './node-exit-satellite.js';
import { nodeExitStatus } from './node-exit-status.js';
import { nodeRejoinSatellite } from './node-rejoin-satellite.js';
import { nodeRun } from './node-run.js';
import { satelliteExits } from './satellite-exits.js';
import { satelliteReportGracefulExit } from './satellite-report.js';
import { satelliteRun } from './satellite-run.js';

export const COMMANDS: readonly AnyCommand[] = [
  identityNew,
  identityShow,
  satelliteRun,
  satelliteExits,
  satelliteReportGracefulExit,
  nodeRun,
  nodeExitSatellite,
  nodeExitStatus,
  nodeRejoinSatellite,
];
