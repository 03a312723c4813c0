package io.cdchub.sink.transform;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import net.thisptr.jackson.jq.BuiltinFunctionLoader;
import net.thisptr.jackson.jq.Function;
import net.thisptr.jackson.jq.JsonQuery;
import net.thisptr.jackson.jq.Scope;
import net.thisptr.jackson.jq.Version;
import net.thisptr.jackson.jq.Versions;
import net.thisptr.jackson.jq.exception.JsonQueryException;
import net.thisptr.jackson.jq.internal.tree.FunctionCall;
import net.thisptr.jackson.jq.internal.tree.FunctionDefinition;
import net.thisptr.jackson.jq.internal.tree.VariableAccess;

/**
 * jq, as the transforms use it: compiled once, evaluated in a scope of our own that only has what computes a value from
 * the event.
 *
 * <p><b>Why jq.</b> It is one of the expression languages Camel ships (camel-jq, engine jackson-jq) and the one made for
 * JSON: an expression is a pure function from JSON to JSON, compiled once to a tree that runs on Jackson trees (the
 * form the sinks already use), with no method calls, no bean or class access and no I/O. Camel's {@code simple} was not
 * taken: it can call beans and methods and read environment variables and system properties, so a transform could
 * run code or read secrets. Measured here, a jq transform of the quick start's kind runs at about 95k events/s per
 * thread (bench notes in build-environment.md).
 *
 * <p><b>What is taken out.</b> Configuration must never read secrets or run code, and a transform must not stall a
 * sink: the scope has none of the functions that read outside the event ({@code env}, {@code input}, {@code inputs},
 * {@code debug}, {@code stderr}, {@code input_filename}, {@code hostname}, {@code debug_scope}, {@code builtins}),
 * none that are not a function of the event ({@code now}, {@code random}, {@code timestamp}, {@code uuid4}: a replayed
 * batch must write the same rows), and none of the generators that need not end ({@code range}, {@code repeat},
 * {@code while}, {@code until}, {@code recurse}, {@code recurse_down}: {@code [range(1e9)]} fills the heap).
 * {@code $ENV} is never defined. jackson-jq looks functions up only when an expression runs, so {@link #compile} also
 * walks the compiled tree and refuses a call to a function the scope does not have, and {@code $ENV}: such an
 * expression fails start-up, not each record.
 */
final class JqExpressions {

    static final Version VERSION = Versions.JQ_1_6;

    /** Functions the transforms' scope leaves out (see the class comment for why). */
    static final Set<String> REFUSED = Set.of("env", "input", "inputs", "debug", "stderr", "input_filename", "input_line_number",
            "hostname", "debug_scope", "builtins", "get_search_list", "halt", "halt_error",
            "now", "random", "timestamp", "uuid3", "uuid4", "uuid5",
            "range", "repeat", "while", "until", "recurse", "recurse_down");

    private static final Scope ROOT = scope();

    private JqExpressions() {
    }

    private static Scope scope() {
        Scope root = Scope.newEmptyScope();
        Map<String, Function> all = BuiltinFunctionLoader.getInstance().listFunctions(VERSION, root);
        all.forEach((nameAndArity, function) -> {
            int slash = nameAndArity.lastIndexOf('/');
            String name = nameAndArity.substring(0, slash);
            if (!REFUSED.contains(name)) {
                root.addFunction(name, Integer.parseInt(nameAndArity.substring(slash + 1)), function);
            }
        });
        return root;
    }

    /** A scope for one evaluation, below the shared one with the allowed functions (it holds the event's variables). */
    static Scope newScope() {
        return Scope.newChildScope(ROOT);
    }

    /**
     * Compiles an expression and checks it uses only what the scope has.
     *
     * @throws InvalidExpressionException why it cannot be used
     */
    static JsonQuery compile(String expression) {
        if (expression == null || expression.isBlank()) {
            throw new InvalidExpressionException("is empty");
        }
        JsonQuery query;
        try {
            query = JsonQuery.compile(expression, VERSION);
        } catch (JsonQueryException e) {
            throw new InvalidExpressionException("does not compile as jq: " + reason(e));
        } catch (RuntimeException e) {
            throw new InvalidExpressionException("does not compile as jq: " + e.getMessage());
        }
        Uses uses = new Uses();
        uses.walk(query);
        Set<String> unknown = new TreeSet<>();
        for (String call : uses.calls) {
            int slash = call.lastIndexOf('/');
            if (!uses.defined.contains(call) && ROOT.getFunction(call.substring(0, slash), Integer.parseInt(call.substring(slash + 1))) == null) {
                unknown.add(call);
            }
        }
        if (!unknown.isEmpty()) {
            throw new InvalidExpressionException("calls " + unknown + ", which transforms do not have (a typo, or a function left out"
                    + " because it reads outside the event, is not a function of the event, or need not end: " + new TreeSet<>(REFUSED) + ")");
        }
        if (uses.variables.contains("ENV")) {
            throw new InvalidExpressionException("reads $ENV: transforms cannot read the environment (configuration never reads secrets)");
        }
        return query;
    }

    /** jackson-jq's message without the wrapping it adds to the cause. */
    static String reason(JsonQueryException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e || root.getMessage() == null ? e.getMessage() : e.getMessage() + ": " + root.getMessage();
    }

    /** What an expression calls and defines, found by walking jackson-jq's compiled tree (its classes hold them privately). */
    private static final class Uses {
        final Set<String> calls = new TreeSet<>();
        final Set<String> defined = new TreeSet<>();
        final Set<String> variables = new TreeSet<>();
        private final Map<Object, Boolean> seen = new IdentityHashMap<>();

        void walk(Object node) {
            if (node == null || seen.put(node, Boolean.TRUE) != null) {
                return;
            }
            if (node instanceof Collection<?> items) {
                items.forEach(this::walk);
                return;
            }
            if (node instanceof Object[] items) {
                for (Object item : items) {
                    walk(item);
                }
                return;
            }
            Class<?> type = node.getClass();
            if (!type.getName().startsWith("net.thisptr.jackson.jq.") || type.isEnum()) {
                return;
            }
            if (node instanceof FunctionCall) {
                calls.add(field(node, "name") + "/" + ((Collection<?>) field(node, "args")).size());
            } else if (node instanceof FunctionDefinition) {
                Collection<?> args = (Collection<?>) field(node, "args");
                defined.add(field(node, "fname") + "/" + args.size());
                for (Object arg : args) {
                    String name = String.valueOf(arg);
                    if (!name.startsWith("$")) {
                        defined.add(name + "/0"); // a filter argument is called like a function of no arguments
                    }
                }
            } else if (node instanceof VariableAccess) {
                String name = String.valueOf(field(node, "name"));
                variables.add(name.startsWith("$") ? name.substring(1) : name);
            }
            for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
                for (Field f : c.getDeclaredFields()) {
                    if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
                        continue;
                    }
                    f.setAccessible(true);
                    try {
                        walk(f.get(node));
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException("Cannot read jackson-jq's compiled expression", e);
                    }
                }
            }
        }

        private static Object field(Object node, String name) {
            try {
                Field f = node.getClass().getDeclaredField(name);
                f.setAccessible(true);
                return f.get(node);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("jackson-jq's " + node.getClass().getSimpleName() + " has no field " + name
                        + ": the check of what expressions call needs updating for this jackson-jq version", e);
            }
        }
    }

    /** An expression that cannot be used; the message says why, to follow the property's name. */
    static final class InvalidExpressionException extends RuntimeException {
        InvalidExpressionException(String reason) {
            super(reason);
        }
    }
}
