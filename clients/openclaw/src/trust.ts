import fs from "node:fs";

/**
 * Why the socket cannot be trusted. `socket_missing` alone means "no daemon" (the one case a fallback may
 * cover); every other reason is a refusal that no configuration downgrades.
 */
export type TrustFailureReason =
  | "socket_missing"
  | "home_missing"
  | "home_not_directory"
  | "home_wrong_owner"
  | "home_writable_by_others"
  | "socket_is_symlink"
  | "socket_not_socket"
  | "socket_wrong_owner";

export class SocketTrustError extends Error {
  constructor(
    readonly reason: TrustFailureReason,
    message: string,
  ) {
    super(message);
    this.name = "SocketTrustError";
  }
}

export interface TrustInputs {
  covenHome: string;
  socketPath: string;
  /** Defaults to the process's effective uid. */
  uid?: number;
}

function currentUid(): number {
  // Every platform this plugin supports (Unix sockets) has geteuid.
  return process.geteuid?.() ?? process.getuid?.() ?? -1;
}

function statOrUndefined(read: () => fs.Stats): fs.Stats | undefined {
  try {
    return read();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * The trust anchor, checked before every connection: the daemon's API has no tokens, so "whoever can open
 * this socket is the owner" must hold. The home (followed, so a symlinked ~/.coven works) must be a directory
 * owned by the current user that no group or other user can write (they could otherwise swap the socket),
 * and the socket must be a real socket (never a symlink to one elsewhere) owned by the current user.
 *
 * Checked with lstat just before connecting: the window between check and connect is the same one any
 * path-based client has; the directory checks are what keep others out of it.
 */
export function verifySocketTrust(inputs: TrustInputs): void {
  const uid = inputs.uid ?? currentUid();
  const home = statOrUndefined(() => fs.statSync(inputs.covenHome));
  if (!home) {
    throw new SocketTrustError(
      "home_missing",
      `COVEN_HOME ${inputs.covenHome} does not exist (is the daemon installed?).`,
    );
  }
  if (!home.isDirectory()) {
    throw new SocketTrustError("home_not_directory", `COVEN_HOME ${inputs.covenHome} is not a directory.`);
  }
  if (home.uid !== uid) {
    throw new SocketTrustError(
      "home_wrong_owner",
      `COVEN_HOME ${inputs.covenHome} is owned by uid ${home.uid}, not by this user (uid ${uid}); refusing its socket.`,
    );
  }
  if ((home.mode & 0o022) !== 0) {
    throw new SocketTrustError(
      "home_writable_by_others",
      `COVEN_HOME ${inputs.covenHome} is writable by its group or others (mode ${(home.mode & 0o777).toString(8)}); ` +
        "refusing its socket. Run chmod 700 on it.",
    );
  }
  const socket = statOrUndefined(() => fs.lstatSync(inputs.socketPath));
  if (!socket) {
    throw new SocketTrustError(
      "socket_missing",
      `The Coven daemon is not running: there is no socket at ${inputs.socketPath}. Start it with \`coven daemon start\`.`,
    );
  }
  if (socket.isSymbolicLink()) {
    throw new SocketTrustError(
      "socket_is_symlink",
      `${inputs.socketPath} is a symbolic link, not the daemon's socket; refusing it.`,
    );
  }
  if (!socket.isSocket()) {
    throw new SocketTrustError(
      "socket_not_socket",
      `${inputs.socketPath} is not a Unix socket; refusing it.`,
    );
  }
  if (socket.uid !== uid) {
    throw new SocketTrustError(
      "socket_wrong_owner",
      `${inputs.socketPath} is owned by uid ${socket.uid}, not by this user (uid ${uid}); refusing it.`,
    );
  }
}
