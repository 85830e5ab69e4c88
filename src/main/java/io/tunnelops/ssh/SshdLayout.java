package io.tunnelops.ssh;

/** The fixed file layout inside the sshd pod, shared by the renderer, the entrypoint and the Deployment. */
public final class SshdLayout {

    /** Non-root processes cannot bind 22. */
    public static final int PORT = 2222;
    public static final String USERNAME = "tunnel";
    /** uid and gid of the sshd user in images/sshd. */
    public static final int UID = 10001;
    /** The credentials Secret is mounted here, read-only. */
    public static final String CONFIG_DIR = "/etc/tunnel";
    /** An emptyDir: the entrypoint copies keys here with 0600, as StrictModes wants. */
    public static final String STATE_DIR = "/var/lib/tunnel";
    /** The user's home, created 0700 by the entrypoint. */
    public static final String HOME_DIR = STATE_DIR + "/home";

    /** Shell mode: the emptyDir holding the copy of the OpenSSH bundle that the app's image runs (read-only there). */
    public static final String BUNDLE_DIR = "/tunnel/bundle";

    public static final String SSHD_CONFIG = "sshd_config";
    public static final String HOST_KEY = "ssh_host_ed25519_key";
    public static final String HOST_PUBLIC_KEY = "ssh_host_ed25519_key.pub";
    public static final String AUTHORIZED_KEYS = "authorized_keys";

    private SshdLayout() {
    }
}
