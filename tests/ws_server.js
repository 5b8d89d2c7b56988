// The WebSocket peer of the tests: npm's ws package on loopback, plain and TLS.
//   node ws_server.js CERT KEY PORT_FILE
// Writes "<ws port> <wss port> <ws port on ::1>" to PORT_FILE once all listen (the first two on
// 127.0.0.1). Every connection echoes each
// message as it came (text or binary, reassembled from fragments), except:
//   "ping-me"  the server sends a PING with payload "hello"; a PONG back is reported as "pong:<data>"
//   "headers"  the server answers with the upgrade request's headers as JSON
// An upgrade to /redirect is answered with a 302 to /echo. A client's CLOSE is answered with the
// same code (ws does that).
'use strict';
const fs = require('fs');
const http = require('http');
const https = require('https');
const { WebSocketServer } = require('ws');

const [cert, key, portFile] = process.argv.slice(2);

const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 8 * 1024 * 1024,
    handleProtocols: (protocols) => (protocols.has('portls') ? 'portls' : false),
});

wss.on('connection', (ws, req) => {
    ws.on('message', (data, isBinary) => {
        const text = isBinary ? null : data.toString();
        if (text === 'ping-me') {
            ws.ping('hello');
        } else if (text === 'headers') {
            ws.send(JSON.stringify(req.headers));
        } else {
            ws.send(data, { binary: isBinary });
        }
    });
    ws.on('pong', (data) => ws.send('pong:' + data.toString()));
});

function upgrade(req, socket, head) {
    if (req.url === '/redirect') {
        socket.end('HTTP/1.1 302 Found\r\nLocation: /echo\r\nContent-Length: 0\r\n\r\n');
        return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
}

const plain = http.createServer((req, res) => res.writeHead(404).end());
const plain6 = http.createServer((req, res) => res.writeHead(404).end());
const secure = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) },
                                  (req, res) => res.writeHead(404).end());
plain.on('upgrade', upgrade);
plain6.on('upgrade', upgrade);
secure.on('upgrade', upgrade);
plain.listen(0, '127.0.0.1', () => {
    secure.listen(0, '127.0.0.1', () => {
        plain6.listen(0, '::1', () => {
            const ports = [plain, secure, plain6].map((s) => s.address().port).join(' ');
            fs.writeFileSync(portFile + '.tmp', `${ports}\n`);
            fs.renameSync(portFile + '.tmp', portFile);
        });
    });
});
