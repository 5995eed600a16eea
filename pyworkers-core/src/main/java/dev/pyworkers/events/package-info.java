/**
 * Events of a registry's daemons, workers and tasks, for engines and dashboards: {@link
 * dev.pyworkers.events.WorkerEventListener} and the immutable records it receives. Public API.
 */
package dev.pyworkers.events;
