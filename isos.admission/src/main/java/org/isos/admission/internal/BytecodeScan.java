package org.isos.admission.internal;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

import org.isos.admission.AdmissionRefused;
import org.isos.admission.Rule;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ConstantDynamic;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Looks through every class of a bundle for references to {@link ForbiddenApis}. Classes are scanned
 * as the jar is read, so only the findings are kept, not the classes: one per rule (the first, unless
 * a later one names a member where the first named only a type), enough to tell the buyer what to
 * fix first.
 */
public final class BytecodeScan {

    private static final int ASM_API = Opcodes.ASM9;

    /** What a finding names: a member is more telling than its type (a call to FileInputStream.<init>(String)
     * says more than the NEW FileInputStream before it), so it wins when both are found. */
    private enum Precision {
        MEMBER, TYPE
    }

    private record Finding(Precision precision, String detail) {
    }

    private final Map<Rule, Finding> bestFinding = new EnumMap<>(Rule.class);

    /**
     * Scans one class file.
     *
     * @param origin where it lies: the entry name, or {@code lib/x.jar!/a/B.class} inside a nested jar
     * @throws AdmissionRefused {@link Rule#MALFORMED} if it is not a class file ASM can read: code we
     *                          cannot read is code we cannot vouch for
     */
    public void scan(String origin, byte[] classFile) throws AdmissionRefused {
        try {
            new ClassReader(classFile).accept(new ClassScanner(origin), ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        } catch (RuntimeException e) {
            throw new AdmissionRefused(Rule.MALFORMED, "class file " + origin + " cannot be read: " + e, e);
        }
    }

    /** The refusal for the first rule (in {@link Rule} order) some class broke, if any did. */
    public Optional<AdmissionRefused> refusal() {
        return bestFinding.entrySet().stream().findFirst()
                .map(first -> new AdmissionRefused(first.getKey(), first.getValue().detail()));
    }

    private void found(Rule rule, Precision precision, String detail) {
        if (rule != null) {
            bestFinding.merge(rule, new Finding(precision, detail),
                    (old, found) -> found.precision().compareTo(old.precision()) < 0 ? found : old);
        }
    }

    private final class ClassScanner extends ClassVisitor {
        private final String origin;
        private String className;
        private String located = "";

        ClassScanner(String origin) {
            super(ASM_API);
            this.origin = origin;
        }

        @Override
        public void visit(int version, int access, String name, String signature, String superName,
                String[] interfaces) {
            className = name;
            // a class is normally found under its own name; say where it is when it is not
            located = origin.equals(name + ".class") ? "" : " (in " + origin + ")";
            if (superName != null) {
                found(ForbiddenApis.forSupertype(superName), Precision.MEMBER, name + " extends " + superName + located);
            }
            for (String implemented : interfaces == null ? new String[0] : interfaces) {
                found(ForbiddenApis.forSupertype(implemented), Precision.MEMBER, name + " implements " + implemented + located);
            }
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                String[] exceptions) {
            String method = className + "." + name + descriptor;
            if ((access & Opcodes.ACC_NATIVE) != 0) {
                found(Rule.FORBIDDEN_NATIVE, Precision.MEMBER, method + " is declared native" + located);
            }
            return new MethodScanner(method, located);
        }
    }

    private final class MethodScanner extends MethodVisitor {
        private final String method;
        private final String located;
        /** The opcode of the previous instruction when it was a plain one, else -1. */
        private int previousOpcode = -1;

        MethodScanner(String method, String located) {
            super(ASM_API);
            this.method = method;
            this.located = located;
        }

        private void report(Rule rule, Precision precision, String what) {
            found(rule, precision, method + " " + what + located);
        }

        private void member(String verb, String owner, String name, String descriptor) {
            // methods print with their descriptor (overloads differ), fields by name as in source
            String shown = descriptor.startsWith("(") ? name + descriptor : name;
            report(ForbiddenApis.forMember(owner, name, descriptor), Precision.MEMBER,
                    verb + " " + owner + "." + shown);
        }

        private void type(String verb, String type) {
            report(ForbiddenApis.forType(type), Precision.TYPE, verb + " " + type);
        }

        private void handle(String verb, Handle handle) {
            member(verb, handle.getOwner(), handle.getName(), handle.getDesc());
        }

        /** Checks a constant; {@code verb} says how the method uses it ("loads", "passes to invokedynamic x"). */
        private void constant(Object value, String verb) {
            if (value instanceof Type t) {
                if (t.getSort() == Type.METHOD) {
                    for (Type argument : t.getArgumentTypes()) {
                        constant(argument, verb);
                    }
                    constant(t.getReturnType(), verb);
                } else if (t.getSort() == Type.OBJECT || t.getSort() == Type.ARRAY) {
                    type(verb + " the class constant", t.getInternalName());
                }
            } else if (value instanceof Handle h) {
                handle(verb + " the method handle", h);
            } else if (value instanceof ConstantDynamic dynamic) {
                handle(verb + " a dynamic constant bootstrapped by", dynamic.getBootstrapMethod());
                for (int i = 0; i < dynamic.getBootstrapMethodArgumentCount(); i++) {
                    constant(dynamic.getBootstrapMethodArgument(i), verb);
                }
            }
        }

        @Override
        public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean isInterface) {
            member("calls", owner, name, descriptor);
            // a literal false keeps the stream sequential; anything else may make it parallel
            if (ForbiddenApis.takesParallelFlag(owner, name, descriptor) && previousOpcode != Opcodes.ICONST_0) {
                report(Rule.FORBIDDEN_THREADS, Precision.MEMBER, "calls " + owner + "." + name + descriptor
                        + " with a parallel flag that is not the constant false");
            }
            previousOpcode = -1;
        }

        @Override
        public void visitFieldInsn(int opcode, String owner, String name, String descriptor) {
            boolean reads = opcode == Opcodes.GETFIELD || opcode == Opcodes.GETSTATIC;
            member(reads ? "reads" : "writes", owner, name, descriptor);
            previousOpcode = -1;
        }

        @Override
        public void visitTypeInsn(int opcode, String type) {
            String verb = switch (opcode) {
                case Opcodes.NEW -> "instantiates";
                case Opcodes.ANEWARRAY -> "creates an array of";
                case Opcodes.CHECKCAST -> "casts to";
                default -> "tests instanceof";
            };
            type(verb, type);
            previousOpcode = -1;
        }

        @Override
        public void visitMultiANewArrayInsn(String descriptor, int numDimensions) {
            type("creates an array", descriptor);
            previousOpcode = -1;
        }

        @Override
        public void visitLdcInsn(Object value) {
            constant(value, "loads");
            previousOpcode = -1;
        }

        @Override
        public void visitInvokeDynamicInsn(String name, String descriptor, Handle bootstrap, Object... arguments) {
            handle("bootstraps invokedynamic " + name + " with", bootstrap);
            for (Object argument : arguments) {
                constant(argument, "passes invokedynamic " + name);
            }
            previousOpcode = -1;
        }

        @Override
        public void visitInsn(int opcode) {
            previousOpcode = opcode;
        }

        @Override
        public void visitIntInsn(int opcode, int operand) {
            previousOpcode = -1;
        }

        @Override
        public void visitVarInsn(int opcode, int varIndex) {
            previousOpcode = -1;
        }

        @Override
        public void visitJumpInsn(int opcode, Label label) {
            previousOpcode = -1;
        }

        @Override
        public void visitLabel(Label label) {
            previousOpcode = -1; // a jump may arrive here with another value on the stack
        }

        @Override
        public void visitIincInsn(int varIndex, int increment) {
            previousOpcode = -1;
        }

        @Override
        public void visitTableSwitchInsn(int min, int max, Label dflt, Label... labels) {
            previousOpcode = -1;
        }

        @Override
        public void visitLookupSwitchInsn(Label dflt, int[] keys, Label[] labels) {
            previousOpcode = -1;
        }
    }
}
