// The ports of the two nodes that share one PostgreSQL database in nodes.spec.ts.
export const NODE_PORTS = [3101, 3102];

export const nodeURL = (i: number): string => `http://127.0.0.1:${NODE_PORTS[i]}`;
