// JSON over UDP with retries, as device apps talk to ESP8266-class devices: send, and
// send again every `every` ms until a reply `match` accepts arrives, `tries` times at
// most. Resolves with { reply, from } (remoteInfo), or null when nothing answered.
function request(socket, address, port, message, options) {
  const text = JSON.stringify(message);
  return new Promise(function (resolve) {
    let sent = 0;
    let timer = 0;
    function onMessage(res) {
      let reply;
      try {
        reply = JSON.parse(new TextDecoder().decode(res.message));
      } catch (e) {
        return;
      }
      if (options.match(reply, res.remoteInfo)) finish({ reply: reply, from: res.remoteInfo });
    }
    function finish(result) {
      clearTimeout(timer);
      socket.offMessage(onMessage);
      resolve(result);
    }
    function send() {
      if (sent === options.tries) return finish(null);
      sent += 1;
      socket.send({ address: address, port: port, message: text, setBroadcast: true });
      timer = setTimeout(send, options.every);
    }
    socket.onMessage(onMessage);
    send();
  });
}

module.exports = { request: request };
