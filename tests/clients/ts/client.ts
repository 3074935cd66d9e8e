// A small Khabar client, the way a web frontend writes one: openapi-fetch over the types that
// openapi-typescript generates from the live OpenAPI document ("khabar-api" is mapped to them by
// the tsconfig the test writes). If a change to the API breaks this file, it breaks the apps too.
import createClient from "openapi-fetch";
import type { components, paths } from "khabar-api";

export type ArticleCard = components["schemas"]["ArticleCard"];
export type Article = components["schemas"]["ArticlePublic"];
export type Problem = components["schemas"]["Problem"];

export type Khabar = ReturnType<typeof khabar>;

export function khabar(baseUrl: string) {
  return createClient<paths>({ baseUrl });
}

function fail(problem: Problem | undefined, status: number): never {
  throw new Error(`${status}: ${problem?.title ?? "request failed"} (${problem?.detail ?? ""})`);
}

/** Every published article, page by page, following `meta.next_cursor` until it is null. */
export async function listAllArticles(api: Khabar, limit = 2): Promise<ArticleCard[]> {
  const cards: ArticleCard[] = [];
  let cursor: string | undefined;
  do {
    const { data, error, response } = await api.GET("/v1/articles", {
      params: { query: { limit, cursor } },
    });
    if (!data) fail(error, response.status);
    cards.push(...data.data);
    cursor = data.meta.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return cards;
}

/** Opens one article by slug, then revalidates it with its ETag: an unchanged article is a 304. */
export async function openAndRevalidate(
  api: Khabar,
  slug: string,
): Promise<{ article: Article; etag: string; revalidatedStatus: number }> {
  const first = await api.GET("/v1/articles/{slug}", { params: { path: { slug } } });
  if (!first.data) fail(first.error, first.response.status);
  const etag = first.response.headers.get("ETag");
  if (etag === null) throw new Error("article responses carry an ETag");
  const again = await api.GET("/v1/articles/{slug}", {
    params: { path: { slug }, header: { "If-None-Match": etag } },
  });
  return { article: first.data, etag, revalidatedStatus: again.response.status };
}

/** The whole flow: list, follow the cursor, open the first article and revalidate it. */
export async function main(baseUrl: string): Promise<string[]> {
  const api = khabar(baseUrl);
  const cards = await listAllArticles(api);
  const firstCard = cards[0];
  if (firstCard === undefined) throw new Error("no published articles");
  const { article, revalidatedStatus } = await openAndRevalidate(api, firstCard.slug);
  if (revalidatedStatus !== 304) throw new Error(`expected 304, got ${revalidatedStatus}`);
  const title: string = article.title;
  const blocks: number = article.body?.length ?? 0;
  return [title, String(blocks), ...cards.map((card) => card.title)];
}
