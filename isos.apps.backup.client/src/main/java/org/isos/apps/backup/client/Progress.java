package org.isos.apps.backup.client;

/** Told how far a put or get has come, so that a command line can draw a bar. */
@FunctionalInterface
public interface Progress {

    /** Nothing to report to. */
    Progress NONE = (done, total) -> {
    };

    /**
     * @param done  plaintext bytes stored or restored so far
     * @param total plaintext bytes in all, or -1 while unknown (a stream being read)
     */
    void advanced(long done, long total);
}
