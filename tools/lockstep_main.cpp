// lockstep — the playback node.
//   lockstep play FILE            play one file on this node
//   lockstep host FILE...         play and host a session
//   lockstep join HOST[:PORT]     join a session and play in sync
//   lockstep serve                a dedicated session server (no media, no window)
// The options (tools/lockstep_cli.cpp) can also come from config files (tools/cli).
#include <cstdio>

#include "core/log.h"
#include "net/transport/endpoint.h"
#include "tools/cli/config_layers.h"
#include "tools/lockstep_cli.h"

int main(int argc, char** argv) {
  using namespace lockstep;
  const std::vector<std::string> given(argv + 1, argv + argc);
  auto layered = cli::layer_config_files([] {
    auto c = make_lockstep_cli();
    return std::shared_ptr<CLI::App>(c, &c->app);
  }, given, cli::default_config_files());
  if (!layered) {
    std::fprintf(stderr, "lockstep: %s\n", layered.error().c_str());
    return 2;
  }
  auto cli = make_lockstep_cli();
  CLI::App& app = cli->app;
  try {
    std::vector<std::string> args(layered->args.rbegin(), layered->args.rend());
    app.parse(args);
  } catch (const CLI::RequiredError& e) {
    // --print-config shows what is there, and what is still missing.
    if (!cli->print_config) return app.exit(e);
    for (const CLI::App* scope : {static_cast<const CLI::App*>(&app), static_cast<const CLI::App*>(cli->play), static_cast<const CLI::App*>(cli->host),
                                  static_cast<const CLI::App*>(cli->join), static_cast<const CLI::App*>(cli->serve)}) {
      if (!scope->remaining().empty()) return app.exit(CLI::ExtrasError(scope->remaining()));
    }
    std::printf("# missing: %s\n", e.what());
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (cli->print_config) {
    std::fputs(cli::describe_config(app, *layered).c_str(), stdout);
    return 0;
  }
  init_logging(cli->log_level);
  SessionOptions& session = cli->session;
  if (!cli->port_text.empty()) session.port = *net::parse_port(cli->port_text);  // checked by the parse
  if (cli->play->parsed()) {
    NodeAppParams& p = cli->play_opts;
    p.start = NodeAppParams::Start::Local;
    p.files = {cli->play_file};
    p.node = cli->node;
    p.session = session;
    p.ui_state = cli->node.ui_state;
    return run_node_app(p);
  }
  if (cli->host->parsed()) return run_host(cli->host_files, session, cli->node);
  if (cli->join->parsed() && cli->join_list) return run_list_sessions(cli->list_wait_s);
  if (cli->join->parsed()) return run_join(cli->address, session, cli->node);
  if (cli->serve->parsed()) return run_serve(cli->serve_files, session, cli->serve_duration, cli->serve_status_http);
  return 2;
}
