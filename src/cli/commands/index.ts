/**
 * Every `handoff` command, in the order `handoff help` lists them. Adding a command: a file in
 * this folder exporting `defineCommand({...})`, and one line here.
 */
import type { AnyCommand } from '../command.js';
import { accessExport } from './access-export.js';
import { accessImport } from './access-import.js';
import { accessList } from './access-list.js';
import { accessNew } from './access-new.js';
import { accessRm } from './access-rm.js';
import { accessShow } from './access-show.js';
import { accessUse } from './access-use.js';
import { cat } from './cat.js';
import { completion } from './completion.js';
import { coreRun } from './core-run.js';
import { cp } from './cp.js';
import { filesLs } from './files-ls.js';
import { identityNew } from './identity-new.js';
import { identityShow } from './identity-show.js';
import { ls } from './ls.js';
import { mb } from './mb.js';
import { mv } from './mv.js';
import { nodeExitSatellite } from './node-exit-satellite.js';
import { nodeExitStatus } from './node-exit-status.js';
import { nodeRejoinSatellite } from './node-rejoin-satellite.js';
import { nodeRun } from './node-run.js';
import { nodeStatus } from './node-status.js';
import { providerRun } from './provider-run.js';
import { rb } from './rb.js';
import { rm } from './rm.js';
import { satelliteExits } from './satellite-exits.js';
import { satelliteKeysCreate } from './satellite-keys-create.js';
import { satelliteKeysList } from './satellite-keys-list.js';
import { satelliteKeysRevoke } from './satellite-keys-revoke.js';
import { satelliteNodes } from './satellite-nodes.js';
import { satelliteProjectsCreate } from './satellite-projects-create.js';
import { satelliteProjectsList } from './satellite-projects-list.js';
import { satelliteReportGracefulExit } from './satellite-report.js';
import { satelliteRun } from './satellite-run.js';
import { stat } from './stat.js';
import { taskCancel, taskPause, taskResume } from './task.js';
import { tasks } from './tasks.js';
import { transfer } from './transfer.js';

export const COMMANDS: readonly AnyCommand[] = [
  accessNew,
  accessList,
  accessUse,
  accessShow,
  accessRm,
  accessExport,
  accessImport,
  mb,
  rb,
  ls,
  stat,
  cat,
  cp,
  mv,
  rm,
  identityNew,
  identityShow,
  satelliteRun,
  satelliteProjectsList,
  satelliteProjectsCreate,
  satelliteKeysList,
  satelliteKeysCreate,
  satelliteKeysRevoke,
  satelliteNodes,
  satelliteExits,
  satelliteReportGracefulExit,
  nodeRun,
  nodeStatus,
  nodeExitSatellite,
  nodeExitStatus,
  nodeRejoinSatellite,
  coreRun,
  providerRun,
  transfer,
  tasks,
  taskPause,
  taskResume,
  taskCancel,
  filesLs,
  completion,
];
