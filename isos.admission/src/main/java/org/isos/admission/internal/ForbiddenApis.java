package org.isos.admission.internal;

import static org.isos.admission.Rule.FORBIDDEN_CLASSLOADERS;
import static org.isos.admission.Rule.FORBIDDEN_EXIT;
import static org.isos.admission.Rule.FORBIDDEN_FILES;
import static org.isos.admission.Rule.FORBIDDEN_FRAMEWORK_ADMIN;
import static org.isos.admission.Rule.FORBIDDEN_NATIVE;
import static org.isos.admission.Rule.FORBIDDEN_PROCESSES;
import static org.isos.admission.Rule.FORBIDDEN_REFLECTION;
import static org.isos.admission.Rule.FORBIDDEN_SOCKETS;
import static org.isos.admission.Rule.FORBIDDEN_THREADS;
import static org.isos.admission.Rule.FORBIDDEN_UNSAFE;

import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

import org.isos.admission.Rule;

/**
 * The JDK and OSGi APIs an app bundle may not reference, by bytecode name. An app reaches the host only
 * through the kernel API, which meters and confines what it does on the lease's behalf; these APIs
 * would bypass that. The run-time security manager is the second line; this table refuses the bundle
 * before any of its code runs, and tells the buyer exactly why.
 *
 * <p>Three kinds of entries: a type ban forbids any use of a type (member access, instantiation,
 * casts, class constants, extending or implementing it); a member ban forbids some members of an
 * otherwise usable type; a supertype ban forbids only extending or implementing a type. Each list is
 * searched in order and the first match wins, so narrow entries precede the broad ones they refine.
 */
final class ForbiddenApis {

    private record TypeBan(Rule rule, String name) {
        boolean matches(String type) {
            return name.endsWith("/") ? type.startsWith(name) : type.equals(name) || type.startsWith(name + "$");
        }
    }

    private record MemberBan(Rule rule, Predicate<String> owner, Predicate<String> name, Predicate<String> desc) {
        boolean matches(String o, String n, String d) {
            return owner.test(o) && name.test(n) && desc.test(d);
        }
    }

    private static final Predicate<String> ANY = s -> true;

    private static final Set<String> REFLECTIVE_OBJECTS = Set.of("java/lang/reflect/AccessibleObject",
            "java/lang/reflect/Executable", "java/lang/reflect/Field", "java/lang/reflect/Method",
            "java/lang/reflect/Constructor");
    private static final Set<String> INET_ADDRESSES = Set.of("java/net/InetAddress", "java/net/Inet4Address",
            "java/net/Inet6Address");
    private static final Set<String> FUTURES = Set.of("java/util/concurrent/CompletableFuture",
            "java/util/concurrent/CompletionStage");
    private static final Set<String> CLASS_LOADER_TYPES = Set.of("Ljava/lang/ClassLoader;",
            "Ljava/net/URLClassLoader;", "Ljava/security/SecureClassLoader;");

    private static final List<TypeBan> TYPE_BANS = List.of(
            // narrow entries refining the broad package bans further down
            type(FORBIDDEN_UNSAFE, "sun/misc/"),
            type(FORBIDDEN_UNSAFE, "jdk/internal/misc/Unsafe"),
            type(FORBIDDEN_SOCKETS, "javax/management/remote/"),

            type(FORBIDDEN_FILES, "java/io/File"),
            type(FORBIDDEN_FILES, "java/io/FileInputStream"),
            type(FORBIDDEN_FILES, "java/io/FileOutputStream"),
            type(FORBIDDEN_FILES, "java/io/FileReader"),
            type(FORBIDDEN_FILES, "java/io/FileWriter"),
            type(FORBIDDEN_FILES, "java/io/RandomAccessFile"),
            type(FORBIDDEN_FILES, "java/io/FileDescriptor"),
            type(FORBIDDEN_FILES, "java/nio/file/"),
            type(FORBIDDEN_FILES, "java/nio/channels/FileChannel"),
            type(FORBIDDEN_FILES, "java/nio/channels/AsynchronousFileChannel"),
            type(FORBIDDEN_FILES, "java/util/zip/ZipFile"),
            type(FORBIDDEN_FILES, "java/util/jar/JarFile"),
            type(FORBIDDEN_FILES, "java/util/logging/FileHandler"),

            type(FORBIDDEN_SOCKETS, "java/net/Socket"),
            type(FORBIDDEN_SOCKETS, "java/net/ServerSocket"),
            type(FORBIDDEN_SOCKETS, "java/net/DatagramSocket"),
            type(FORBIDDEN_SOCKETS, "java/net/MulticastSocket"),
            type(FORBIDDEN_SOCKETS, "java/net/SocketImpl"),
            type(FORBIDDEN_SOCKETS, "java/net/SocketImplFactory"),
            type(FORBIDDEN_SOCKETS, "java/net/DatagramSocketImpl"),
            type(FORBIDDEN_SOCKETS, "java/net/DatagramSocketImplFactory"),
            type(FORBIDDEN_SOCKETS, "java/net/URLConnection"),
            type(FORBIDDEN_SOCKETS, "java/net/HttpURLConnection"),
            type(FORBIDDEN_SOCKETS, "java/net/JarURLConnection"),
            type(FORBIDDEN_SOCKETS, "java/net/NetworkInterface"),
            type(FORBIDDEN_SOCKETS, "java/net/http/"),
            type(FORBIDDEN_SOCKETS, "java/nio/channels/SocketChannel"),
            type(FORBIDDEN_SOCKETS, "java/nio/channels/ServerSocketChannel"),
            type(FORBIDDEN_SOCKETS, "java/nio/channels/DatagramChannel"),
            type(FORBIDDEN_SOCKETS, "java/nio/channels/AsynchronousSocketChannel"),
            type(FORBIDDEN_SOCKETS, "java/nio/channels/AsynchronousServerSocketChannel"),
            type(FORBIDDEN_SOCKETS, "java/nio/channels/AsynchronousChannelGroup"),
            type(FORBIDDEN_SOCKETS, "java/nio/channels/NetworkChannel"),
            type(FORBIDDEN_SOCKETS, "java/nio/channels/MulticastChannel"),
            type(FORBIDDEN_SOCKETS, "java/nio/channels/spi/"),
            type(FORBIDDEN_SOCKETS, "javax/net/"),
            type(FORBIDDEN_SOCKETS, "java/rmi/"),
            type(FORBIDDEN_SOCKETS, "javax/rmi/"),
            type(FORBIDDEN_SOCKETS, "jdk/net/"),
            type(FORBIDDEN_SOCKETS, "com/sun/net/httpserver/"),

            type(FORBIDDEN_PROCESSES, "java/lang/Process"),
            type(FORBIDDEN_PROCESSES, "java/lang/ProcessBuilder"),
            type(FORBIDDEN_PROCESSES, "java/lang/ProcessHandle"),
            type(FORBIDDEN_PROCESSES, "java/awt/Desktop"),

            type(FORBIDDEN_CLASSLOADERS, "java/lang/ClassLoader"),
            type(FORBIDDEN_CLASSLOADERS, "java/net/URLClassLoader"),
            type(FORBIDDEN_CLASSLOADERS, "java/security/SecureClassLoader"),
            type(FORBIDDEN_CLASSLOADERS, "java/lang/instrument/"),
            type(FORBIDDEN_CLASSLOADERS, "com/sun/tools/attach/"),

            // JDK internals, module surgery and JMX (whose platform MBeans reach into the whole JVM)
            type(FORBIDDEN_REFLECTION, "jdk/internal/"),
            type(FORBIDDEN_REFLECTION, "sun/"),
            type(FORBIDDEN_REFLECTION, "java/lang/ModuleLayer$Controller"),
            type(FORBIDDEN_REFLECTION, "javax/management/"),
            type(FORBIDDEN_REFLECTION, "com/sun/management/"),
            type(FORBIDDEN_REFLECTION, "jdk/management/"),

            type(FORBIDDEN_NATIVE, "java/lang/foreign/"),
            type(FORBIDDEN_NATIVE, "jdk/incubator/foreign/"),

            // threads and pools run work outside the lease's threads, so outside its CPU accounting
            type(FORBIDDEN_THREADS, "java/lang/ThreadGroup"),
            type(FORBIDDEN_THREADS, "java/lang/Thread$Builder"),
            type(FORBIDDEN_THREADS, "java/util/concurrent/Executors"),
            type(FORBIDDEN_THREADS, "java/util/concurrent/ThreadPoolExecutor"),
            type(FORBIDDEN_THREADS, "java/util/concurrent/ScheduledThreadPoolExecutor"),
            type(FORBIDDEN_THREADS, "java/util/concurrent/ForkJoinPool"),
            type(FORBIDDEN_THREADS, "java/util/concurrent/ForkJoinTask"),
            type(FORBIDDEN_THREADS, "java/util/concurrent/ForkJoinWorkerThread"),
            type(FORBIDDEN_THREADS, "java/util/concurrent/RecursiveTask"),
            type(FORBIDDEN_THREADS, "java/util/concurrent/RecursiveAction"),
            type(FORBIDDEN_THREADS, "java/util/concurrent/CountedCompleter"),
            type(FORBIDDEN_THREADS, "java/util/Timer"),
            type(FORBIDDEN_THREADS, "javax/swing/Timer"),

            type(FORBIDDEN_FRAMEWORK_ADMIN, "org/osgi/framework/launch/"),
            type(FORBIDDEN_FRAMEWORK_ADMIN, "org/osgi/framework/hooks/"),
            type(FORBIDDEN_FRAMEWORK_ADMIN, "org/osgi/framework/startlevel/"),
            type(FORBIDDEN_FRAMEWORK_ADMIN, "org/osgi/framework/wiring/FrameworkWiring"),
            type(FORBIDDEN_FRAMEWORK_ADMIN, "org/osgi/service/condpermadmin/"),
            type(FORBIDDEN_FRAMEWORK_ADMIN, "org/osgi/service/permissionadmin/"),
            type(FORBIDDEN_FRAMEWORK_ADMIN, "org/osgi/service/packageadmin/"),
            type(FORBIDDEN_FRAMEWORK_ADMIN, "org/osgi/service/startlevel/"));

    private static final List<MemberBan> MEMBER_BANS = List.of(
            // the class-loader variant is reflection by the brief's reading, ahead of the descriptor rule below
            member(FORBIDDEN_REFLECTION, is("java/lang/Class"), is("forName"), d -> d.contains("Ljava/lang/ClassLoader;")),
            member(FORBIDDEN_REFLECTION, REFLECTIVE_OBJECTS::contains, oneOf("setAccessible", "trySetAccessible"), ANY),
            member(FORBIDDEN_REFLECTION, is("java/lang/invoke/MethodHandles"), is("privateLookupIn"), ANY),
            member(FORBIDDEN_REFLECTION, is("java/lang/Module"), oneOf("addOpens", "addExports", "addReads"), ANY),
            member(FORBIDDEN_REFLECTION, is("java/lang/management/ManagementFactory"),
                    oneOf("getPlatformMBeanServer", "newPlatformMXBeanProxy"), ANY),
            member(FORBIDDEN_REFLECTION, is("java/lang/management/ManagementFactory"),
                    oneOf("getPlatformMXBean", "getPlatformMXBeans"), d -> d.contains("Ljavax/management/")),

            // these open a file by name: new PrintStream("out.txt") and the like
            member(FORBIDDEN_FILES, oneOf("java/io/PrintStream", "java/io/PrintWriter", "java/util/Formatter"),
                    is("<init>"), d -> d.startsWith("(Ljava/lang/String;")),

            member(FORBIDDEN_SOCKETS, is("java/net/URL"),
                    oneOf("openConnection", "openStream", "getContent", "setURLStreamHandlerFactory"), ANY),
            // name lookups leak data to any DNS server the app names
            member(FORBIDDEN_SOCKETS, INET_ADDRESSES::contains, oneOf("getByName", "getAllByName", "getLocalHost",
                    "isReachable", "getHostName", "getCanonicalHostName"), ANY),
            member(FORBIDDEN_SOCKETS, is("java/net/InetSocketAddress"), is("<init>"), is("(Ljava/lang/String;I)V")),

            member(FORBIDDEN_PROCESSES, is("java/lang/Runtime"), is("exec"), ANY),

            member(FORBIDDEN_EXIT, is("java/lang/System"), is("exit"), ANY),
            member(FORBIDDEN_EXIT, is("java/lang/Runtime"),
                    oneOf("exit", "halt", "addShutdownHook", "removeShutdownHook"), ANY),

            member(FORBIDDEN_CLASSLOADERS, is("java/lang/invoke/MethodHandles$Lookup"),
                    oneOf("defineClass", "defineHiddenClass", "defineHiddenClassWithClassData"), ANY),
            member(FORBIDDEN_CLASSLOADERS, is("java/lang/Thread"),
                    oneOf("setContextClassLoader", "getContextClassLoader"), ANY),
            member(FORBIDDEN_CLASSLOADERS, oneOf("java/lang/Class", "java/lang/Module"), is("getClassLoader"), ANY),
            member(FORBIDDEN_CLASSLOADERS, is("java/lang/ModuleLayer"), n -> n.startsWith("defineModules")
                    || n.equals("findLoader"), ANY),

            member(FORBIDDEN_NATIVE, is("java/lang/System"), oneOf("load", "loadLibrary", "mapLibraryName"), ANY),
            member(FORBIDDEN_NATIVE, is("java/lang/Runtime"), oneOf("load", "loadLibrary"), ANY),

            // Thread.currentThread, sleep, interrupted, onSpinWait, interrupt, join stay allowed
            member(FORBIDDEN_THREADS, is("java/lang/Thread"), oneOf("<init>", "start", "ofPlatform", "ofVirtual",
                    "startVirtualThread", "setDaemon", "setPriority", "stop", "suspend", "resume",
                    "setUncaughtExceptionHandler", "setDefaultUncaughtExceptionHandler", "getAllStackTraces",
                    "enumerate"), ANY),
            // without an executor these run on the common pool; with one, the kernel's executors are the way
            member(FORBIDDEN_THREADS, FUTURES::contains, n -> n.endsWith("Async")
                    || Set.of("delayedExecutor", "orTimeout", "completeOnTimeout", "defaultExecutor").contains(n), ANY),
            // ...also when called through a subclass, which javac names as the owner of a static call
            member(FORBIDDEN_THREADS, ANY, n -> n.endsWith("Async"), d -> d.endsWith(")Ljava/util/concurrent/CompletableFuture;")
                    || d.endsWith(")Ljava/util/concurrent/CompletionStage;")),
            // any Collection, including the app's own subclasses, inherits parallelStream()
            member(FORBIDDEN_THREADS, ANY, is("parallelStream"), is("()Ljava/util/stream/Stream;")),
            member(FORBIDDEN_THREADS, ANY, is("parallel"), oneOf("()Ljava/util/stream/BaseStream;",
                    "()Ljava/util/stream/Stream;", "()Ljava/util/stream/IntStream;", "()Ljava/util/stream/LongStream;",
                    "()Ljava/util/stream/DoubleStream;")),
            member(FORBIDDEN_THREADS, is("java/util/Arrays"), n -> n.startsWith("parallel"), ANY),
            // the bulk operations taking a parallelism threshold fan out to the common pool
            member(FORBIDDEN_THREADS, is("java/util/concurrent/ConcurrentHashMap"), n -> n.startsWith("forEach")
                    || n.startsWith("search") || n.startsWith("reduce"), d -> d.startsWith("(J")),
            member(FORBIDDEN_THREADS, is("java/lang/ref/Cleaner"), is("create"), ANY),
            member(FORBIDDEN_THREADS, is("java/util/concurrent/SubmissionPublisher"), is("<init>"), is("()V")),

            member(FORBIDDEN_FRAMEWORK_ADMIN, is("org/osgi/framework/BundleContext"), is("installBundle"), ANY),
            member(FORBIDDEN_FRAMEWORK_ADMIN, is("org/osgi/framework/Bundle"),
                    oneOf("start", "stop", "update", "uninstall"), ANY));

    private static final List<TypeBan> SUPERTYPE_BANS = List.of(
            type(FORBIDDEN_THREADS, "java/lang/Thread"),
            type(FORBIDDEN_THREADS, "java/util/concurrent/ThreadFactory"));

    private ForbiddenApis() {
    }

    /** The rule broken by any use of {@code type} (an internal name or array descriptor), or null. */
    static Rule forType(String type) {
        String element = elementType(type);
        if (element == null) {
            return null;
        }
        for (TypeBan ban : TYPE_BANS) {
            if (ban.matches(element)) {
                return ban.rule();
            }
        }
        return null;
    }

    /** The rule broken by extending or implementing {@code type}, or null. */
    static Rule forSupertype(String type) {
        for (TypeBan ban : SUPERTYPE_BANS) {
            if (ban.matches(type)) {
                return ban.rule();
            }
        }
        return forType(type);
    }

    /** The rule broken by referencing the field or method {@code owner.name desc}, or null. */
    static Rule forMember(String owner, String name, String desc) {
        String element = elementType(owner);
        if (element == null) {
            return null;
        }
        for (MemberBan ban : MEMBER_BANS) {
            if (ban.matches(element, name, desc)) {
                return ban.rule();
            }
        }
        Rule rule = forType(element);
        if (rule != null) {
            return rule;
        }
        // a class loader in hand is a way around the bundle's wiring, whoever handed it over;
        // Proxy.newProxyInstance is the exception the run-time checks cover
        if (CLASS_LOADER_TYPES.stream().anyMatch(desc::contains)
                && !(element.equals("java/lang/reflect/Proxy") && name.equals("newProxyInstance"))) {
            return FORBIDDEN_CLASSLOADERS;
        }
        return null;
    }

    /**
     * Whether a call takes a "parallel" flag that makes a stream run on the common pool:
     * {@code StreamSupport.stream(spliterator, parallel)} and its int/long/double siblings.
     */
    static boolean takesParallelFlag(String owner, String name, String desc) {
        return owner.equals("java/util/stream/StreamSupport") && desc.contains("Z)");
    }

    /** The class named by an internal name or array descriptor; null for primitive arrays. */
    private static String elementType(String type) {
        if (!type.startsWith("[")) {
            return type;
        }
        String element = type.substring(type.lastIndexOf('[') + 1);
        return element.startsWith("L") && element.endsWith(";") ? element.substring(1, element.length() - 1) : null;
    }

    private static TypeBan type(Rule rule, String name) {
        return new TypeBan(rule, name);
    }

    private static MemberBan member(Rule rule, Predicate<String> owner, Predicate<String> name, Predicate<String> desc) {
        return new MemberBan(rule, owner, name, desc);
    }

    private static Predicate<String> is(String value) {
        return value::equals;
    }

    private static Predicate<String> oneOf(String... values) {
        return Set.of(values)::contains;
    }
}
