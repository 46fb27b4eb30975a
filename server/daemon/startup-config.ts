import { parseTcpListener, type TcpListenerConfig } from "../http/tcp-guard.js";
import { loadPrivacyConfig, type PrivacyConfig } from "../privacy/config.js";

/** What a daemon reads from its home and options at start, before it opens anything. */
export interface StartupConfig {
  tcpConfig: TcpListenerConfig | null;
  privacy: PrivacyConfig;
}

/**
 * Reads and checks the daemon's start-up configuration; throws what would make it refuse to start (a `--tcp`
 * address that is not loopback, a `privacy.toml` it cannot load). Light on purpose: `coven daemon restart` runs
 * it before stopping a working daemon, without loading the server.
 */
export function readStartupConfig(
  home: string,
  env: NodeJS.ProcessEnv,
  tcp: string | undefined,
): StartupConfig {
  return {
    tcpConfig: tcp ? parseTcpListener(tcp, env) : null,
    privacy: loadPrivacyConfig(home, env),
  };
}
