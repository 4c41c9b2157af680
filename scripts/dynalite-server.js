// Starts dynalite for scripts/dynalite.sh, as dynalite's own cli.js would, on
// 127.0.0.1 and in memory, with one difference: a client that hangs up
// before its answer (a test's timeout, a fault-injecting proxy) does not
// bring the server down. dynalite 4.0.0 rethrows the request's 'aborted'
// error from its request handler, which kills the process; the request it
// belonged to is answered into a closed socket, and nothing else is lost.
//
//   node dynalite-server.js INSTALL_DIR PORT TABLE_MS
'use strict'

const path = require('path')

const [dir, port, tableMs] = process.argv.slice(2)
const dynalite = require(path.join(dir, 'node_modules', 'dynalite'))

let hangUps = 0
process.on('uncaughtException', (err) => {
  if (err && err.code === 'ECONNRESET') {
    hangUps++
    if (hangUps === 1 || hangUps % 100 === 0) {
      console.error(`client hung up before its answer (${hangUps} so far): ${err.message}`)
    }
    return
  }
  console.error(err)
  process.exit(1)
})

const ms = Number(tableMs)
const server = dynalite({ createTableMs: ms, deleteTableMs: ms, updateTableMs: ms })
server.listen(Number(port), '127.0.0.1', () => {
  console.log(`dynalite listening at http://127.0.0.1:${server.address().port}`)
})
