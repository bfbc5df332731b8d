package org.isos.admission.internal;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.isos.admission.AdmissionRefused;
import org.isos.admission.Rule;

/**
 * Proves that a jar has one reading only. The signature is verified by streaming the local entries
 * (as {@link java.util.jar.JarInputStream} does), but the framework later opens the installed bundle
 * through its central directory (as {@link java.util.zip.ZipFile} does). A crafted zip can show those
 * two readers different entries, so we require the layout every jar tool writes: entries back to back
 * from offset 0, each local header agreeing with its directory record, the directory right after the
 * last entry and the end record right after the directory. Nothing else is accepted.
 */
public final class ZipLayout {

    private static final int LOCAL_HEADER = 0x04034b50;
    private static final int DIRECTORY_RECORD = 0x02014b50;
    private static final int END_RECORD = 0x06054b50;
    private static final int DATA_DESCRIPTOR = 0x08074b50;
    private static final int LOCAL_HEADER_SIZE = 30;
    private static final int DIRECTORY_RECORD_SIZE = 46;
    private static final int END_RECORD_SIZE = 22;
    private static final int FLAG_ENCRYPTED = 1;
    private static final int FLAG_DATA_DESCRIPTOR = 1 << 3;

    private ZipLayout() {
    }

    /**
     * The entry names in file order, after checking layout and names.
     *
     * @param what how to name this zip in a refusal ("the jar", "nested jar lib/x.jar")
     */
    public static List<String> entryNames(byte[] zip, String what) throws AdmissionRefused {
        int end = endRecord(zip, what);
        if (u16(zip, end + 4) != 0 || u16(zip, end + 6) != 0 || u16(zip, end + 8) != u16(zip, end + 10)) {
            throw malformed(what + " spans several disks");
        }
        int count = u16(zip, end + 10);
        long directorySize = u32(zip, end + 12);
        long directoryOffset = u32(zip, end + 16);
        if (count == 0xFFFF || directorySize == 0xFFFFFFFFL || directoryOffset == 0xFFFFFFFFL) {
            throw malformed(what + " is a ZIP64 archive, which bundles never need below the size limit");
        }
        if (directoryOffset + directorySize != end) {
            // prepended data (a self-extractor, a polyglot file) shifts everything; so do hidden blocks
            throw malformed(what + " has " + (end - directoryOffset - directorySize)
                    + " bytes of unaccounted data before its entries or around its central directory");
        }
        List<String> names = new ArrayList<>(count);
        Set<String> seen = new HashSet<>();
        Set<String> seenMetaInf = new HashSet<>();
        long expectedOffset = 0;
        int record = (int) directoryOffset;
        for (int i = 0; i < count; i++) {
            require(zip, record, DIRECTORY_RECORD_SIZE, what);
            if (i32(zip, record) != DIRECTORY_RECORD) {
                throw malformed(what + ": central directory record " + i + " is corrupt");
            }
            int flags = u16(zip, record + 8);
            int method = u16(zip, record + 10);
            int crc = i32(zip, record + 16);
            long compressed = u32(zip, record + 20);
            long size = u32(zip, record + 24);
            int nameLength = u16(zip, record + 28);
            int extraLength = u16(zip, record + 30);
            int commentLength = u16(zip, record + 32);
            long localOffset = u32(zip, record + 42);
            require(zip, record + DIRECTORY_RECORD_SIZE, nameLength, what);
            String name = name(zip, record + DIRECTORY_RECORD_SIZE, nameLength, what);
            checkName(name, what);
            if (!seen.add(name)) {
                throw malformed(what + " has a duplicate entry " + name);
            }
            // "meta-inf/manifest.mf" next to "META-INF/MANIFEST.MF" would give readers that ignore case a choice
            if (name.toUpperCase(Locale.ROOT).startsWith("META-INF/") && !seenMetaInf.add(name.toUpperCase(Locale.ROOT))) {
                throw malformed(what + " has entries differing only in case: " + name);
            }
            if ((flags & FLAG_ENCRYPTED) != 0) {
                throw malformed(what + ": entry " + name + " is encrypted");
            }
            if (compressed == 0xFFFFFFFFL || size == 0xFFFFFFFFL || localOffset == 0xFFFFFFFFL) {
                throw malformed(what + ": entry " + name + " needs ZIP64");
            }
            if (localOffset != expectedOffset) {
                throw malformed(what + ": entry " + name + " starts at offset " + localOffset + " instead of "
                        + expectedOffset + " (hidden or reordered data)");
            }
            expectedOffset = checkLocalEntry(zip, (int) localOffset, name, flags, method, crc, compressed, what);
            names.add(name);
            record += DIRECTORY_RECORD_SIZE + nameLength + extraLength + commentLength;
        }
        if (record != end) {
            throw malformed(what + ": central directory size does not match its " + count + " records");
        }
        if (expectedOffset != directoryOffset) {
            throw malformed(what + " has " + (directoryOffset - expectedOffset)
                    + " bytes between its last entry and its central directory");
        }
        return names;
    }

    /** Checks one local entry against its directory record and returns where the next entry must start. */
    private static long checkLocalEntry(byte[] zip, int offset, String name, int flags, int method, int crc,
            long compressed, String what) throws AdmissionRefused {
        require(zip, offset, LOCAL_HEADER_SIZE, what);
        if (i32(zip, offset) != LOCAL_HEADER) {
            throw malformed(what + ": no local header for entry " + name);
        }
        int localFlags = u16(zip, offset + 6);
        int nameLength = u16(zip, offset + 26);
        int extraLength = u16(zip, offset + 28);
        require(zip, offset + LOCAL_HEADER_SIZE, nameLength, what);
        if (!name.equals(name(zip, offset + LOCAL_HEADER_SIZE, nameLength, what))) {
            throw malformed(what + ": local header of entry " + name + " names another entry");
        }
        if ((localFlags & FLAG_DATA_DESCRIPTOR) != (flags & FLAG_DATA_DESCRIPTOR) || u16(zip, offset + 8) != method) {
            throw malformed(what + ": local header of entry " + name + " disagrees with the central directory");
        }
        boolean descriptor = (flags & FLAG_DATA_DESCRIPTOR) != 0;
        if (!descriptor && (u32(zip, offset + 18) != compressed || i32(zip, offset + 14) != crc)) {
            throw malformed(what + ": sizes or CRC of entry " + name + " differ between local header and directory");
        }
        long dataEnd = (long) offset + LOCAL_HEADER_SIZE + nameLength + extraLength + compressed;
        if (dataEnd > zip.length) {
            throw malformed(what + ": entry " + name + " runs past the end of the file");
        }
        if (!descriptor) {
            return dataEnd;
        }
        int at = (int) dataEnd;
        require(zip, at, 16, what);
        if (i32(zip, at) == DATA_DESCRIPTOR) {
            at += 4;
        }
        if (i32(zip, at) != crc || u32(zip, at + 4) != compressed) {
            throw malformed(what + ": data descriptor of entry " + name + " disagrees with the central directory");
        }
        return at + 12L;
    }

    private static void checkName(String name, String what) throws AdmissionRefused {
        if (name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.indexOf('\0') >= 0
                || (name.length() > 1 && name.charAt(1) == ':')) {
            throw malformed(what + " has an entry with an absolute or unusable path: '" + name + "'");
        }
        for (String segment : name.split("/", -1)) {
            if (segment.equals("..")) {
                throw malformed(what + " has an entry that climbs out of the bundle: " + name);
            }
        }
    }

    /** Finds the end record as {@code ZipFile} does: the last one whose comment reaches exactly the end. */
    private static int endRecord(byte[] zip, String what) throws AdmissionRefused {
        int lowest = Math.max(0, zip.length - END_RECORD_SIZE - 0xFFFF);
        for (int at = zip.length - END_RECORD_SIZE; at >= lowest; at--) {
            if (i32(zip, at) == END_RECORD && at + END_RECORD_SIZE + u16(zip, at + 20) == zip.length) {
                return at;
            }
        }
        throw malformed(what + " is not a zip archive (no end of central directory)");
    }

    private static String name(byte[] zip, int offset, int length, String what) throws AdmissionRefused {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(zip, offset, length))
                    .toString();
        } catch (CharacterCodingException e) {
            throw malformed(what + " has an entry name that is not UTF-8");
        }
    }

    private static void require(byte[] zip, long offset, long length, String what) throws AdmissionRefused {
        if (offset < 0 || offset + length > zip.length) {
            throw malformed(what + " is truncated");
        }
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8;
    }

    private static int i32(byte[] b, int at) {
        return u16(b, at) | u16(b, at + 2) << 16;
    }

    private static long u32(byte[] b, int at) {
        return i32(b, at) & 0xFFFFFFFFL;
    }

    private static AdmissionRefused malformed(String detail) {
        return new AdmissionRefused(Rule.MALFORMED, detail);
    }
}
