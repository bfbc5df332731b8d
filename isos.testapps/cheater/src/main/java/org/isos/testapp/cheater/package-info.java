/**
 * A cheating copy of the compute app, for the job service's acceptance tests only: a host whose owner runs it in
 * place of the buyer's app answers some units with made-up results or without doing the work.
 */
package org.isos.testapp.cheater;
