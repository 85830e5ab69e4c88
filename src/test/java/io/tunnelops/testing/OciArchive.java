package io.tunnelops.testing;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads an OCI image archive (what {@code buildah push IMG oci-archive:FILE} writes) without a runtime: the image's
 * config (user, entrypoint), its layers' sizes and the paths in its layers. Only the first manifest of the index.
 */
public final class OciArchive {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Map<String, byte[]> small = new HashMap<>(); // index.json, manifest and config blobs
    private final JsonNode manifest;
    private final JsonNode config;

    private OciArchive(Path file) throws IOException {
        this.file = file;
        readEntries(file, (name, type, mode, size, in) -> {
            if (size < 1 << 20) {
                small.put(name, in.readAllBytes());
            }
        });
        JsonNode index = JSON.readTree(blob("index.json"));
        manifest = JSON.readTree(blob(blobPath(index.path("manifests").path(0).path("digest").asText())));
        config = JSON.readTree(blob(blobPath(manifest.path("config").path("digest").asText())));
    }

    public static OciArchive read(Path file) {
        try {
            return new OciArchive(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the OCI archive " + file, e);
        }
    }

    /** The image config's "config" object: User, Entrypoint, Cmd, Env, ExposedPorts... */
    public JsonNode runConfig() {
        return config.path("config");
    }

    public long archiveBytes() {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int layerCount() {
        return manifest.path("layers").size();
    }

    /** The layers as stored (compressed). */
    public long compressedLayerBytes() {
        long sum = 0;
        for (JsonNode layer : manifest.path("layers")) {
            sum += layer.path("size").asLong();
        }
        return sum;
    }

    /** The layers' tar streams uncompressed: what {@code buildah images} and {@code docker images} call its size. */
    public long uncompressedLayerBytes() {
        long[] sum = {0};
        forEachLayer((layer, in) -> sum[0] += in.transferTo(java.io.OutputStream.nullOutputStream()));
        return sum[0];
    }

    /** Every path in every layer (whiteouts included), without a leading "./" or "/". */
    public List<String> layerPaths() {
        List<String> paths = new ArrayList<>();
        forEachLayer((layer, in) -> readTar(in, (name, type, mode, size, entry) -> paths.add(name)));
        return paths;
    }

    /** The paths of regular files in every layer (not directories, links or whiteouts' targets). */
    public List<String> regularFiles() {
        List<String> paths = new ArrayList<>();
        forEachLayer((layer, in) -> readTar(in, (name, type, mode, size, entry) -> {
            if (type == '0' || type == 0) {
                paths.add(name);
            }
        }));
        return paths;
    }

    /** A file's content as the image shows it (the last layer that has it), or null. Whiteouts are not applied. */
    public String fileContent(String path) {
        Map<String, String> byLayer = new HashMap<>(); // the archive stores blobs in any order: sort by the manifest's
        forEachLayer((layer, in) -> readTar(in, (name, type, mode, size, entry) -> {
            if (name.equals(path)) {
                byLayer.put(layer, new String(entry.readAllBytes(), StandardCharsets.UTF_8));
            }
        }));
        String content = null;
        for (JsonNode layer : manifest.path("layers")) {
            content = byLayer.getOrDefault(blobPath(layer.path("digest").asText()), content);
        }
        return content;
    }

    /**
     * The regular files of the image as a runtime unpacks it (layers in the manifest's order, each layer's whiteouts
     * applied to the layers below it) whose mode has the setuid or setgid bit. A file a later layer chmods stays out.
     */
    public List<String> setuidOrSetgidFiles() {
        Map<String, Map<String, Long>> byLayer = new HashMap<>(); // path -> mode; -1 for what is not a file
        forEachLayer((layer, in) -> {
            Map<String, Long> entries = new java.util.LinkedHashMap<>();
            readTar(in, (name, type, mode, size, entry) -> entries.put(name,
                    type == '0' || type == 0 || type == '1' ? mode : -1L));
            byLayer.put(layer, entries);
        });
        Map<String, Long> image = new java.util.TreeMap<>();
        for (JsonNode layer : manifest.path("layers")) {
            Map<String, Long> entries = byLayer.getOrDefault(blobPath(layer.path("digest").asText()), Map.of());
            for (String path : entries.keySet()) {
                String dir = path.substring(0, path.lastIndexOf('/') + 1);
                String base = path.substring(dir.length());
                if (base.equals(".wh..wh..opq")) {
                    image.keySet().removeIf(p -> p.startsWith(dir) && !p.equals(dir));
                } else if (base.startsWith(".wh.")) {
                    String gone = dir + base.substring(".wh.".length());
                    image.keySet().removeIf(p -> p.equals(gone) || p.startsWith(gone + "/"));
                }
            }
            entries.forEach((path, mode) -> {
                if (!path.substring(path.lastIndexOf('/') + 1).startsWith(".wh.")) {
                    image.put(path, mode);
                }
            });
        }
        return image.entrySet().stream().filter(e -> e.getValue() > 0 && (e.getValue() & 06000) != 0)
                .map(Map.Entry::getKey).toList();
    }

    private interface LayerReader {
        void read(String digest, InputStream uncompressed) throws IOException;
    }

    private void forEachLayer(LayerReader reader) {
        Map<String, String> wanted = new HashMap<>();
        for (JsonNode layer : manifest.path("layers")) {
            wanted.put(blobPath(layer.path("digest").asText()), layer.path("mediaType").asText());
        }
        try {
            readEntries(file, (name, entryType, mode, size, in) -> {
                String type = wanted.get(name);
                if (type != null) {
                    InputStream layer = type.endsWith("gzip") ? new GZIPInputStream(in, 1 << 16) : in;
                    reader.read(name, layer);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private byte[] blob(String name) {
        byte[] bytes = small.get(name);
        if (bytes == null) {
            throw new IllegalStateException(file + " has no " + name);
        }
        return bytes;
    }

    private static String blobPath(String digest) {
        return "blobs/" + digest.replace(':', '/');
    }

    private interface EntryReader {
        void read(String name, char type, long mode, long size, InputStream content) throws IOException;
    }

    private static void readEntries(Path tar, EntryReader reader) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(tar), 1 << 16)) {
            readTar(in, reader);
        }
    }

    /** A minimal tar reader: ustar names with prefix, GNU long names (L) and PAX paths (x); enough for image layers. */
    private static void readTar(InputStream in, EntryReader reader) throws IOException {
        byte[] header = new byte[512];
        String longName = null;
        while (in.readNBytes(header, 0, 512) == 512 && header[0] != 0) {
            long mode = octal(header, 100, 8);
            long size = octal(header, 124, 12);
            char type = (char) header[156];
            String name = string(header, 0, 100);
            String prefix = string(header, 345, 155);
            if (!prefix.isEmpty()) {
                name = prefix + "/" + name;
            }
            byte[] content = null;
            if (type == 'L' || type == 'x') {
                content = in.readNBytes((int) size);
            } else {
                if (longName != null) {
                    name = longName;
                    longName = null;
                }
                name = name.replaceFirst("^\\./", "").replaceFirst("^/", "");
                BoundedInput entry = new BoundedInput(in, size);
                reader.read(name, type, mode, size, entry);
                entry.skipRest();
            }
            if (type == 'L') {
                longName = string(content, 0, content.length);
            } else if (type == 'x') {
                for (String record : new String(content, StandardCharsets.UTF_8).split("\n")) {
                    int space = record.indexOf(' ');
                    if (space > 0 && record.startsWith("path=", space + 1)) {
                        longName = record.substring(space + 1 + "path=".length());
                    }
                }
            }
            in.skipNBytes((512 - size % 512) % 512);
        }
    }

    private static String string(byte[] bytes, int offset, int length) {
        int end = offset;
        while (end < offset + length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] bytes, int offset, int length) {
        String text = string(bytes, offset, length).strip();
        return text.isEmpty() ? 0 : Long.parseLong(text, 8);
    }

    /** The content of one tar entry; the reader may stop early, the rest is skipped. */
    private static final class BoundedInput extends InputStream {
        private final InputStream in;
        private long left;

        BoundedInput(InputStream in, long size) {
            this.in = in;
            this.left = size;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(buffer, offset, (int) Math.min(length, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }

        @Override
        public void close() {
            // the archive stays open for the next entry
        }

        void skipRest() throws IOException {
            in.skipNBytes(left);
            left = 0;
        }
    }
}
