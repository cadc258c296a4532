// api/docker: the Docker Engine API server.
export { createDockerApi, type DockerApi, type DockerApiOptions } from './server.js';
export { EventHub, type DockerEvent } from './events.js';
export { API_VERSION, MIN_API_VERSION, type SystemFacts } from './routes/system.js';
