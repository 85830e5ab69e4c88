package io.tunnelops.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.tunnelops.ssh.SshdLayout;

/** What the local pod runner needs from this machine, checked up front with messages that say how to get it. */
public final class LocalMachine {

    private LocalMachine() {
    }

    public static void requireRunnerPrerequisites() {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("the local pod runner must run as root: it starts each sshd as uid "
                    + SshdLayout.UID + " with setpriv, in network and mount namespaces of its own");
        }
        for (var tool : List.of(List.of("/usr/sbin/sshd", "openssh-server"), List.of("/usr/bin/setpriv", "util-linux"),
                List.of("/usr/bin/unshare", "util-linux"), List.of("/usr/bin/nsenter", "util-linux"),
                List.of("/usr/sbin/ip", "iproute2"))) {
            if (!Files.isExecutable(Path.of(tool.get(0)))) {
                throw new IllegalStateException(tool.get(0) + " is missing: install the Debian package " + tool.get(1));
            }
        }
        ensureSshdUser();
        List<String> missing = ShellContainer.missingHostParts();
        if (!missing.isEmpty()) {
            // Tunnel sessions need none of these: say so once, and let Shell pods fail with the same message
            org.jboss.logging.Logger.getLogger(LocalMachine.class).warnf("local mode: Shell sessions will not start"
                    + " (they run this machine's sshd, busybox and nss_wrapper); missing: %s", String.join(", ", missing));
        }
    }

    /** Non-root sshd serves only its own user, which must have a passwd entry: `tunnel`, uid 10001, as in the image. */
    private static synchronized void ensureSshdUser() {
        try {
            boolean present = Files.readAllLines(Path.of("/etc/passwd")).stream()
                    .anyMatch(l -> l.startsWith(SshdLayout.USERNAME + ":x:" + SshdLayout.UID + ":"));
            if (present) {
                return;
            }
            Process useradd = new ProcessBuilder("useradd", "--uid", String.valueOf(SshdLayout.UID), "--user-group",
                    "--no-create-home", "--home-dir", SshdLayout.HOME_DIR, "--shell", "/usr/sbin/nologin",
                    SshdLayout.USERNAME).inheritIO().start();
            if (useradd.waitFor() != 0) {
                throw new IllegalStateException("could not create the user " + SshdLayout.USERNAME + " (uid "
                        + SshdLayout.UID + "); create it: useradd --uid " + SshdLayout.UID + " --user-group "
                        + SshdLayout.USERNAME);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /etc/passwd", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
