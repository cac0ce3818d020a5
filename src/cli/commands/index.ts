/** Every `handoff` command, in the order `handoff help` lists them. */
import type { Command } from '../command.js';
import { identityCommand, nodeCommand, satelliteCommand } from '../servers.js';
import { nodeExitSatellite } from './node-exit-satellite.js';
import { nodeExitStatus } from './node-exit-status.js';
import { nodeRejoinSatellite } from './node-rejoin-satellite.js';
import { satelliteExits } from './satellite-exits.js';
import { satelliteReportGracefulExit } from './satellite-report.js';

const identityNew: Command = {
  path: ['identity', 'new'],
  summary: 'make an identity (PKCS#8 PEM, 0600) and print its node id',
  usage: 'handoff identity new <file>',
  details: 'Back the file up: it is who the node or satellite is on the network.',
  async run(argv, { io }) {
    await identityCommand(['new', ...argv], io.out);
    return 0;
  },
};

const identityShow: Command = {
  path: ['identity', 'show'],
  summary: 'print the node id of an identity file',
  usage: 'handoff identity show <file>',
  details: '',
  async run(argv, { io }) {
    await identityCommand(['show', ...argv], io.out);
    return 0;
  },
};

const satelliteRun: Command = {
  path: ['satellite', 'run'],
  summary: 'run a satellite until Ctrl-C',
  usage: 'handoff satellite run [--address host:port] [--identity file] [--store memory|sqlite:<dir>|postgres://…] [--project name]',
  details: `  --address <host:port>        where nodes and uplinks reach it (default 127.0.0.1:7777)
  --identity <file>            its identity, created when missing (default satellite-identity.pem);
                               its admin endpoint's address is written beside it
                               (satellite-identity.admin.json) for handoff satellite exits/report
  --store <spec>               memory, sqlite:<dir> (default sqlite:satellite-data) or a
                               postgres:// URL (PostgreSQL or CockroachDB)
  --project <name>             create a project and print its API key
  --redundancy <k/m/o/n>       Reed–Solomon scheme of new segments: required/repair/success/total
                               (default 4/6/8/10)
  --exit-not-ready-retry <d>   how long an exiting node waits while its pieces are gathered
                               (default 30s)
  --exit-policy <policy>       how full exits are judged: transfer (hand every piece over,
                               the default) or time-based (stay online for --exit-period with an
                               online score of at least --exit-min-online; repair moves the data)
  --exit-period <d>            a time-based exit's length (default 30d)
  --exit-min-online <f>        a time-based exit's minimum online score, 0–1 (default 0.8)`,
  async run(argv, { io, stop }) {
    await satelliteCommand(['run', ...argv], io.out, stop().requested);
    return 0;
  },
};

const nodeRun: Command = {
  path: ['node', 'run'],
  summary: 'run a storage node until Ctrl-C',
  usage: 'handoff node run --dir <dir> --satellite <id>@<host:port> [--address host:port] [--capacity 10GiB] [--wallet addr] [--bandwidth 2TB] [--shutdown-after-exits]',
  details: `  --dir <dir>                  its data directory: identity.pem (created when missing), node.db,
                               pieces/, and identity.admin.json (its admin endpoint's address,
                               for handoff node exit-satellite/exit-status) while it runs
  --satellite <id>@<host:port> a satellite to serve (repeat it for several)
  --address <host:port>        where it listens (default 127.0.0.1:0)
  --capacity <size>            space offered (default 10GiB)
  --wallet <addr>              payout address reported to satellites
  --bandwidth <size>           bandwidth allowed per calendar month, ingress and egress (default:
                               unlimited); an exit that needs more asks to exceed it or to wait
  --shutdown-after-exits       stop by itself (status 0) once it has exited every satellite`,
  async run(argv, { io, stop }) {
    await nodeCommand(['run', ...argv], io.out, stop().requested);
    return 0;
  },
};

export const COMMANDS: readonly Command[] = [
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
