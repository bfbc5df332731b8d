package org.isos.server.store.internal;

import java.util.List;

/** One schema migration: {@code V<version>__<description>.sql}, its statements and their checksum. */
record Migration(int version, String description, String file, List<String> statements, String checksum) {
}
