/** Reported in payload.configuration.managers, like an IPA hardware manager version. */
export const AGENT_NAME = 'introspector_agent';
export const AGENT_VERSION = '0.1.0';
