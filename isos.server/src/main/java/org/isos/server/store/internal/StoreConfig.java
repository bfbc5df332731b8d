package org.isos.server.store.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The server's database (PID {@value #PID}). */
@ObjectClassDefinition(id = StoreConfig.PID, name = "ISOS server store",
        description = "The JDBC database of the server: embedded H2 by default, PostgreSQL by URL")
public @interface StoreConfig {

    String PID = "org.isos.server.store";

    @AttributeDefinition(description = "JDBC URL (jdbc:h2:... or jdbc:postgresql://host:port/db); empty means an "
            + "embedded H2 file database in the server's data directory")
    String url() default "";

    @AttributeDefinition(description = "Database user")
    String user() default "isos";

    @AttributeDefinition(description = "Database password", type = AttributeType.PASSWORD)
    String password() default "";

    @AttributeDefinition(description = "Most connections open at once", min = "1")
    int poolSize() default 8;

    @AttributeDefinition(description = "Seconds a caller waits for a free connection before failing", min = "1")
    int connectionTimeoutSeconds() default 30;

    @AttributeDefinition(description = "Times a transaction is run again after a serialization failure or deadlock",
            min = "0")
    int maxRetries() default 10;
}
