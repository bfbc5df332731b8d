/**
 * ISOS example app: a notebook that clients write to and read from, kept in the lease's store on each host. A
 * template for new apps: one Declarative Services component using the kernel's services (see the module's README
 * and docs/app-guide.md). Nothing is exported: an app bundle keeps its packages to itself.
 */
package org.isos.apps.example;
