package org.isos.kernel.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.AccessController;
import java.security.PrivilegedAction;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.isos.kernel.api.BlobStore;
import org.isos.kernel.api.QuotaExceededException;

/**
 * A lease's blob store: one file per key in the lease's directory, each written atomically, the
 * total held under the lease's quota. Sizes are tracked in memory (recounted on open) so a put
 * checks the quota before it writes a byte.
 */
@SuppressWarnings("removal") // the kernel's file work runs privileged: apps calling in have no file permission
final class LeaseStore implements BlobStore {

    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._\\-/]{1,200}");

    private final Path directory;
    private final LeaseUsage usage;
    private volatile long quota;
    private long used;

    LeaseStore(Path directory, long quota, LeaseUsage usage) throws IOException {
        this.directory = directory;
        this.quota = quota;
        this.usage = usage;
        Files.createDirectories(directory);
        try (Stream<Path> files = Files.list(directory)) {
            for (Path p : files.toList()) {
                if (p.getFileName().toString().startsWith(".tmp-")) {
                    Files.deleteIfExists(p); // a put interrupted by a crash
                } else {
                    used += Files.size(p);
                }
            }
        }
        usage.storageChanged(used);
    }

    void quota(long newQuota) {
        this.quota = newQuota;
    }

    @Override
    public void put(String key, byte[] data) throws QuotaExceededException {
        Path file = fileOf(key);
        if (data == null) {
            throw new IllegalArgumentException("blob for key '" + key + "' is null");
        }
        synchronized (this) {
            long old = sizeOf(file);
            long after = used - old + data.length;
            if (after > quota) {
                throw new QuotaExceededException("storing " + data.length + " bytes under '" + key
                        + "' would hold " + after + " bytes, over the lease's quota of " + quota, quota, after);
            }
            privileged(() -> {
                AtomicFiles.write(file, data);
                return null;
            });
            used = after;
            usage.storageChanged(used);
        }
    }

    @Override
    public Optional<byte[]> get(String key) {
        Path file = fileOf(key);
        return privileged(() -> {
            try {
                return Optional.of(Files.readAllBytes(file));
            } catch (NoSuchFileException e) {
                return Optional.empty();
            }
        });
    }

    @Override
    public boolean delete(String key) {
        Path file = fileOf(key);
        synchronized (this) {
            long old = sizeOf(file);
            boolean deleted = privileged(() -> Files.deleteIfExists(file));
            used -= old;
            usage.storageChanged(used);
            return deleted;
        }
    }

    @Override
    public List<String> list(String prefix) {
        String p = prefix == null ? "" : prefix;
        return privileged(() -> {
            List<String> keys = new ArrayList<>();
            try (Stream<Path> files = Files.list(directory)) {
                files.map(f -> f.getFileName().toString()).filter(n -> !n.startsWith(".tmp-"))
                        .map(n -> URLDecoder.decode(n, StandardCharsets.UTF_8)).filter(k -> k.startsWith(p))
                        .sorted().forEach(keys::add);
            }
            return keys;
        });
    }

    @Override
    public synchronized long usedBytes() {
        return used;
    }

    @Override
    public long quotaBytes() {
        return quota;
    }

    /** Deletes everything: the lease is over. */
    void destroy() throws IOException {
        synchronized (this) {
            AtomicFiles.deleteTree(directory);
            used = 0;
            usage.storageChanged(0);
        }
    }

    private long sizeOf(Path file) {
        return privileged(() -> Files.exists(file) ? Files.size(file) : 0L);
    }

    private Path fileOf(String key) {
        if (key == null || !KEY.matcher(key).matches() || key.startsWith("/") || key.contains("..")) {
            throw new IllegalArgumentException("invalid store key '" + key
                    + "': use 1-200 characters of A-Z a-z 0-9 . _ - /, not starting with / and without ..");
        }
        // one flat directory: '/' in keys is encoded, so a key can never name a path outside it
        return directory.resolve(URLEncoder.encode(key, StandardCharsets.UTF_8));
    }

    interface IoAction<T> {
        T run() throws IOException;
    }

    static <T> T privileged(IoAction<T> action) {
        return AccessController.doPrivileged((PrivilegedAction<T>) () -> {
            try {
                return action.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
