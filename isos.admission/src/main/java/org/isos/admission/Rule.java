package org.isos.admission;

/**
 * The admission rules, in the order they are checked: a bundle is refused with the first rule it
 * breaks, so a buyer fixes the most basic problem first (a bundle that is not even a well-formed jar
 * is not worth a bytecode report).
 */
public enum Rule {
    /** Not a readable jar or bundle: no manifest, no symbolic name, oversized, odd entry names or zip layout. */
    MALFORMED,
    /** The bytes are not the ones the buyer registered (SHA-256). */
    DIGEST_MISMATCH,
    /** The jar carries no signature, or some entry is not covered by it. */
    UNSIGNED,
    /** An entry no longer matches the digest its signature vouches for. */
    TAMPERED,
    /** More than one signer, or different signers for different entries: the buyer would be ambiguous. */
    MULTIPLE_SIGNERS,
    /** The signer's certificate does not chain to an ISOS trust anchor, or is not valid for code signing now. */
    UNTRUSTED_SIGNER,
    /** Signed by a buyer other than the one holding the lease. */
    WRONG_BUYER,
    /** {@code Fragment-Host}: a fragment would run inside its host bundle's class loader. */
    FRAGMENT,
    /** {@code DynamicImport-Package}: would wire to packages no one reviewed. */
    DYNAMIC_IMPORT,
    /** {@code Bundle-NativeCode}: native code escapes every Java-level control. */
    NATIVE_CODE,
    /** Exports a package the kernel or the platform owns. */
    FOREIGN_EXPORT,
    /** Imports a package outside the allowed set, or requires a bundle. */
    IMPORT_NOT_ALLOWED,
    /** Bytecode touches the host's file system. */
    FORBIDDEN_FILES,
    /** Bytecode opens network connections, resolves host names or exports remote objects. */
    FORBIDDEN_SOCKETS,
    /** Bytecode starts or inspects operating-system processes. */
    FORBIDDEN_PROCESSES,
    /** Bytecode ends the JVM or hooks its shutdown. */
    FORBIDDEN_EXIT,
    /** Bytecode uses, defines or instruments class loaders. */
    FORBIDDEN_CLASSLOADERS,
    /** Bytecode breaks encapsulation: private access, JDK internals, module opening, JMX. */
    FORBIDDEN_REFLECTION,
    /** Bytecode uses {@code sun.misc.Unsafe} or its relatives. */
    FORBIDDEN_UNSAFE,
    /** Bytecode declares native methods, loads native libraries or uses the foreign-memory API. */
    FORBIDDEN_NATIVE,
    /** Bytecode creates threads or hands work to JVM-wide pools outside the lease's accounting. */
    FORBIDDEN_THREADS,
    /** Bytecode installs, starts or stops bundles, or reaches the framework's admin and hook APIs. */
    FORBIDDEN_FRAMEWORK_ADMIN
}
