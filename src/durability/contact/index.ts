/** Contact and uptime: the satellite dials every node on a schedule and when uplinks report dial failures (docs/durability.md). */
export { contactConfig, DEFAULT_CONTACT_CONFIG, type ContactConfig } from './config.js';
export { afterContact, shouldContact, duration, OFFLINE_SUSPENSION_REASON, type ContactEffect } from './decide.js';
export { Ping, ReportDialFailure, ReportDialFailureRequest, ReportDialFailureResponse } from './methods.js';
export { WindowLimiter } from './rate-limit.js';
export { registerDialFailureReports, type DialFailureReportOptions } from './reports.js';
export { ContactService, pingDialer, type ContactServiceOptions, type ContactResult, type ContactPass, type NodeDialer, type ReportOutcome } from './service.js';
