export { Daemon, type DaemonOptions } from './main/daemon.js';
export { main as ojdMain } from './main/ojd-main.js';
