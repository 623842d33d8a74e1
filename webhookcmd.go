package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"pivotal/db"
	"pivotal/gqltypes"
	"pivotal/graph/model"
	"pivotal/resolvers"
)

const webhooksUsage = `Usage: pivotal webhooks create|list|delete [FLAGS]

Manage a workspace's webhook endpoints (the GraphQL API manages them too, with
their messages and attempts). A signing secret is printed once, by create.

Commands:
  create   create an endpoint and print its id and signing secret
  list     list a workspace's endpoints: id, url, mode, state, event types
  delete   delete an endpoint with its messages

Run 'pivotal help webhooks COMMAND' for a command's flags.
`

// webhooksCommand is the operator's endpoint management: create, list, delete.
func webhooksCommand(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	return runSubcommand(ctx, "webhooks", webhooksUsage, []subcommand{{"create", webhooksCreate}, {"list", webhooksList}, {"delete", webhooksDelete}}, args, stdout, log)
}

// asOperator runs fn with a resolver and a context acting in workspace slug.
func asOperator(ctx context.Context, c config, slug string, log *slog.Logger, fn func(ctx context.Context, res *resolvers.Resolver) error) error {
	return withDatabase(ctx, c, log, func(store *db.DB) error {
		res := resolvers.New(store, log)
		res.Webhooks.AllowPrivate = c.Webhooks.AllowPrivate
		octx, err := res.OperatorContext(ctx, slug)
		if err != nil {
			return cliError(err)
		}
		return fn(octx, res)
	})
}

func webhooksCreate(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	var c config
	fs := newFlagSet("webhooks create", "--workspace SLUG --url URL [--description TEXT] [--events TYPES] [--test]",
		"Creates a webhook endpoint in workspace SLUG, queues a webhook.ping for it, and prints\n"+
			"its id and signing secret (whsec_…) on one line. The secret is shown only this once.", stdout)
	ws := fs.String("workspace", "", "workspace `SLUG` (required)")
	url := fs.String("url", "", "the receiver's http or https `URL` (required)")
	desc := fs.String("description", "", "a `TEXT` for people")
	events := fs.String("events", "", "comma-separated event `TYPES` to send; empty: all")
	test := fs.Bool("test", false, "a test-mode endpoint: it receives the events of test keys")
	fs.boolVar(&c.Webhooks.AllowPrivate, "allow-private", "PIVOTAL_WEBHOOK_ALLOW_PRIVATE", false, "accept a loopback, private or link-local URL")
	oneShotFlags(fs, &c)
	if err := fs.parseNoArgs(args); err != nil {
		return err
	}
	if *ws == "" || *url == "" {
		return fs.usageError("--workspace and --url are required")
	}
	if err := fs.check(resolvers.ValidateWorkspaceSlug(*ws)); err != nil {
		return err
	}
	log = quiet(log, c.Verbose)
	return asOperator(ctx, c, *ws, log, func(ctx context.Context, res *resolvers.Resolver) error {
		in := model.CreateWebhookEndpointInput{URL: *url, Description: desc, EventTypes: splitList(*events), TestMode: test}
		out, err := res.CreateWebhookEndpoint(ctx, in)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintln(stdout, out.Endpoint.ID, out.Secret)
		return nil
	})
}

func webhooksList(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	var c config
	fs := newFlagSet("webhooks list", "--workspace SLUG",
		"Lists the webhook endpoints of workspace SLUG by id: url, mode, state, consecutive\n"+
			"failures, event types and creation. Secrets are never shown.", stdout)
	ws := fs.String("workspace", "", "workspace `SLUG` (required)")
	oneShotFlags(fs, &c)
	if err := fs.parseNoArgs(args); err != nil {
		return err
	}
	if err := fs.requireWorkspace(*ws); err != nil {
		return err
	}
	log = quiet(log, c.Verbose)
	return asOperator(ctx, c, *ws, log, func(ctx context.Context, res *resolvers.Resolver) error {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tURL\tMODE\tSTATE\tFAILURES\tEVENTS\tCREATED")
		var after *string
		for {
			first := resolvers.MaxPage
			conn, err := res.WebhookEndpoints(ctx, &first, after)
			if err != nil {
				return cliError(err)
			}
			for _, ep := range conn.Nodes {
				mode, state, types := "live", "enabled", "all"
				if ep.TestMode {
					mode = "test"
				}
				if ep.Disabled {
					state = "disabled"
				}
				if len(ep.EventTypes) > 0 {
					types = strings.Join(ep.EventTypes, ",")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", ep.ID, ep.URL, mode, state, ep.ConsecutiveFailures,
					types, gqltypes.FormatTime(ep.CreatedAt.Time()))
			}
			if !conn.PageInfo.HasNextPage {
				return tw.Flush()
			}
			after = conn.PageInfo.EndCursor
		}
	})
}

func webhooksDelete(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	var c config
	fs := newFlagSet("webhooks delete", "--workspace SLUG ID",
		"Deletes endpoint ID (ep_…) of workspace SLUG with its messages and attempts.", stdout)
	ws := fs.String("workspace", "", "workspace `SLUG` (required)")
	oneShotFlags(fs, &c)
	if err := fs.parse(args); err != nil {
		return err
	}
	if *ws == "" {
		return fs.usageError("--workspace is required")
	}
	if fs.NArg() != 1 {
		return fs.usageError("want exactly one endpoint ID, got %d", fs.NArg())
	}
	if err := fs.check(resolvers.ValidateWorkspaceSlug(*ws)); err != nil {
		return err
	}
	log = quiet(log, c.Verbose)
	return asOperator(ctx, c, *ws, log, func(ctx context.Context, res *resolvers.Resolver) error {
		id, err := res.DeleteWebhookEndpoint(ctx, fs.Arg(0))
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "deleted %s\n", id)
		return nil
	})
}
