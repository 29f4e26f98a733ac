'use strict';
/*
  Drive a real eureka-js-client 4.5 `Eureka` client for test_eureka_js_client.py.

  Usage: node eureka_js_driver.js '<json config>'
    config: { serviceUrl, app, instanceId, port, heartbeatInterval,
              registryFetchInterval, shouldUseDelta, durationInSecs (optional) }

  Protocol: one JSON object per line on stdout.
  - Events: {"event": "request", "method", "uri", "status", "error"} for every HTTP
    call the client makes (after its own retries), and {"event": name} for the
    client's own events (started, registered, heartbeat, registryUpdated,
    deregistered).
  - Commands on stdin: {"id": n, "cmd": ...}, answered by {"reply": n, ...} or
    {"reply": n, "error": text}.
      instances {app}  -> the client's cache for the app (getInstancesByAppId)
      vip {vip}        -> the client's cache for a VIP (getInstancesByVipAddress)
      fetch            -> one registry fetch the client's way (delta once it has
                          a full registry and shouldUseDelta is set), then cache
      stop             -> client.stop() (deregister), reply, exit
    End of stdin stops the client too. The client's logs go to stderr.
*/

const readline = require('readline');
const path = require('path');
const { Eureka } = require('eureka-js-client');

const config = JSON.parse(process.argv[2]);

function emit(message) {
  process.stdout.write(JSON.stringify(message) + '\n');
}

function log(level) {
  return (...args) => {
    const text = args
      .map((arg) => (arg instanceof Error ? arg.stack : typeof arg === 'string' ? arg : JSON.stringify(arg)))
      .join(' ');
    process.stderr.write(`[${new Date().toISOString()}] ${level} ${text}\n`);
  };
}

const client = new Eureka({
  cwd: path.join(__dirname, 'no-such-config-dir'), // no eureka-client.yml is read
  logger: { debug: log('DEBUG'), info: log('INFO'), warn: log('WARN'), error: log('ERROR') },
  shouldUseDelta: config.shouldUseDelta,
  instance: {
    app: config.app,
    instanceId: config.instanceId,
    hostName: '127.0.0.1',
    ipAddr: '127.0.0.1',
    statusPageUrl: `http://127.0.0.1:${config.port}/info`,
    port: { $: config.port, '@enabled': true },
    vipAddress: config.app,
    ...(config.durationInSecs ? { leaseInfo: { durationInSecs: config.durationInSecs } } : {}),
    dataCenterInfo: {
      '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo',
      name: 'MyOwn',
    },
  },
  eureka: {
    serviceUrls: { default: [config.serviceUrl] },
    heartbeatInterval: config.heartbeatInterval,
    registryFetchInterval: config.registryFetchInterval,
    requestRetryDelay: 100, // retries (maxRetries 3) on 5xx and errors stay short
  },
});

// Report every request the client makes, once (its own retries re-enter here).
const eurekaRequest = client.eurekaRequest.bind(client);
client.eurekaRequest = (opts, callback, retryAttempt) => {
  if (retryAttempt) return eurekaRequest(opts, callback, retryAttempt);
  return eurekaRequest(opts, (error, response, body) => {
    emit({
      event: 'request',
      method: (opts.method || 'GET').toUpperCase(),
      uri: opts.uri,
      status: response ? response.statusCode : null,
      error: error ? String(error) : null,
    });
    callback(error, response, body);
  });
};

for (const name of ['started', 'registered', 'heartbeat', 'registryUpdated', 'deregistered']) {
  client.on(name, () => emit({ event: name }));
}

let stopping = false;

function stop(id) {
  if (stopping) return;
  stopping = true;
  client.stop((error) => {
    emit({ reply: id, stopped: true, error: error ? String(error) : null });
    // The request library may keep sockets open: leave now.
    process.stdout.write('', () => process.exit(0));
  });
}

function cache(command) {
  if (command.vip) return client.cache.vip[command.vip] || [];
  return client.cache.app[String(command.app).toUpperCase()] || [];
}

function handle(command) {
  switch (command.cmd) {
    case 'instances':
    case 'vip':
      emit({ reply: command.id, instances: cache(command) });
      break;
    case 'fetch': {
      const delta = Boolean(config.shouldUseDelta && client.hasFullRegistry);
      client.fetchRegistry((error) => {
        emit({
          reply: command.id,
          delta,
          error: error ? String(error) : null,
          instances: cache(command),
        });
      });
      break;
    }
    case 'stop':
      stop(command.id);
      break;
    default:
      emit({ reply: command.id, error: `unknown command ${command.cmd}` });
  }
}

const input = readline.createInterface({ input: process.stdin });
input.on('line', (line) => {
  if (line.trim()) handle(JSON.parse(line));
});
input.on('close', () => stop(null));

client.start((error) => {
  if (error) emit({ event: 'start_failed', error: String(error) });
});
