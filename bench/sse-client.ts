import http from 'node:http';

/** A minimal SSE reader for the bench: calls onEvent(id, data) for each stored-event frame. */
export function openStream(
  url: string,
  token: string,
  agent: http.Agent,
  onEvent: (id: number, data: string) => void,
): Promise<{ close: () => void }> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      url,
      { agent, headers: { Accept: 'text/event-stream', Authorization: `Bearer ${token}` } },
      (response) => {
        if (response.statusCode !== 200) return reject(new Error(`stream answered ${response.statusCode}`));
        response.setEncoding('utf8');
        let buffer = '';
        let connected = false;
        response.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let id: number | null = null;
            let data = '';
            for (const line of frame.split('\n')) {
              if (line.startsWith('id: ')) id = Number(line.slice(4));
              else if (line.startsWith('data: ')) data += line.slice(6);
            }
            if (id !== null) onEvent(id, data);
            else if (!connected && data.includes('"connected"')) {
              connected = true;
              resolve({ close: () => request.destroy() });
            }
          }
        });
      },
    );
    request.on('error', reject);
  });
}
