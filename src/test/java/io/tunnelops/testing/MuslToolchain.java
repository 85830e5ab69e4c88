package io.tunnelops.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;

/**
 * Debian's musl for building test images of musl programs (Alpine cannot be pulled here): {@code musl} and
 * {@code musl-dev} unpacked from {@code apt-get download} into a directory, nothing installed on the machine, with a
 * gcc specs file pointing into it. Then {@code gcc -specs=DIR/musl.specs ...} links against it, and the loader is
 * {@code DIR/root/lib/ld-musl-x86_64.so.1}.
 */
public final class MuslToolchain {

    /** Relative to the directory given to {@link #unpack}. */
    public static final String SPECS = "musl.specs";
    public static final String LOADER = "root/lib/ld-musl-x86_64.so.1";

    private MuslToolchain() {
    }

    public static void unpack(Path dir) {
        OpenSshTools.Result unpacked = OpenSshTools.run(List.of("bash", "-euc", """
                cd "$1"
                apt-get download musl musl-dev >download.log 2>&1 || { cat download.log; exit 1; }
                for deb in musl_*.deb musl-dev_*.deb; do dpkg-deb -x "$deb" root; done
                lib=$PWD/root/usr/lib/x86_64-linux-musl
                sed -e "s#/usr/include/x86_64-linux-musl#$PWD/root/usr/include/x86_64-linux-musl#g" -e "s#/usr/lib/x86_64-linux-musl#$lib#g" \\
                    "$lib/musl-gcc.specs" > musl.specs
                """, "musl-toolchain", dir.toString()));
        assertEquals(0, unpacked.exitCode(), "unpacking Debian's musl: " + unpacked.output());
    }
}
