"""Canonical schemas and the header names merchants' exports use for each field.

Names are compared after normalisation (`normalise_header`): lower case, camelCase split,
punctuation folded to single spaces. Earlier synonyms are stronger: "order date" beats
"ship date" for order_date because only the first is listed.
"""

from __future__ import annotations

import re
import unicodedata

KINDS = ("orders", "reviews", "experiment", "traffic", "support")  # what a file can hold
KIND_HELP = {  # each kind in the merchant's words (the Data page's choice, the CLI's --kind)
    "orders": "one row per order line (Shopify, WooCommerce, Amazon, invoice or BI exports)",
    "reviews": "product reviews with text and, ideally, star ratings",
    "experiment": "an A/B test: one row per user with the variant and outcomes, or one row per variant",
    "traffic": "daily website sessions, to compute conversion",
    "support": "customer-service tickets or chat messages",
}

ORDERS_FIELDS = [
    "order_id", "order_date", "customer_id", "product_id", "product_name", "category", "quantity",
    "unit_price", "revenue", "discount", "currency", "country", "channel", "status",
]

SYNONYMS: dict[str, dict[str, list[str]]] = {
    "orders": {
        "order_id": ["order id", "orderid", "order number", "order no", "order", "invoice no", "invoiceno", "invoice",
                     "invoice number", "invoice id", "amazon order id", "name", "transaction id", "receipt id",
                     "bestellnummer", "numero de commande", "订单号", "订单编号", "订单id", "单号"],
        "order_date": ["order date", "orderdate", "invoice date", "invoicedate", "purchase date", "created at",
                       "order created", "date created", "order datetime", "order time", "transaction date", "date",
                       "timestamp", "paid at", "datum", "fecha", "日期", "订单日期", "下单时间", "下单日期", "时间"],
        "customer_id": ["customer id", "customerid", "customer", "customer number", "client id", "user id", "buyer id",
                        "customer email", "email", "buyer email", "billing email", "customer user", "kundennummer",
                        "客户id", "客户编号", "客户", "用户id", "会员id"],
        "product_id": ["product id", "productid", "sku", "stock code", "stockcode", "lineitem sku", "item id", "item sku",
                       "product code", "item code", "article", "asin", "variant sku", "artikelnummer", "商品编号",
                       "商品id", "产品id", "产品编号", "货号"],
        "product_name": ["product name", "description", "lineitem name", "item name", "product", "title",
                         "product title", "item description", "item", "artikel", "商品名称", "产品名称", "商品", "品名"],
        "category": ["category", "product category", "product type", "department", "sub category", "kategorie",
                     "类别", "品类", "分类", "商品类别"],
        "quantity": ["quantity", "qty", "lineitem quantity", "quantity purchased", "units", "quantity ordered",
                     "item quantity", "menge", "cantidad", "数量", "件数"],
        "unit_price": ["unit price", "unitprice", "price", "lineitem price", "item price each", "price each",
                       "unit cost", "item cost", "preis", "precio", "单价", "价格", "售价"],
        "revenue": ["revenue", "sales", "line total", "line item total", "item total", "amount", "item price",
                    "total", "subtotal", "line amount", "gross sales", "net sales", "umsatz", "金额", "销售额",
                    "总价", "小计", "实付金额"],
        "discount": ["discount", "discount amount", "lineitem discount", "item promotion discount", "promotion discount",
                     "rabatt", "折扣", "优惠"],
        "currency": ["currency", "currency code", "währung", "币种", "货币"],
        "country": ["country", "billing country", "shipping country", "ship country", "country code", "land", "pays",
                    "国家", "国家地区"],
        "channel": ["channel", "sales channel", "source", "source name", "order source", "marketplace", "渠道", "来源"],
        "status": ["status", "order status", "financial status", "fulfillment status", "payment status", "state",
                   "订单状态", "状态"],
    },
    "reviews": {
        "review_id": ["review id", "reviewid", "id", "review number", "评论id", "评价id", "评论编号", "评价编号",
                      "bewertungs id", "id reseña", "id avis", "レビューid"],
        "product_id": ["product id", "productid", "sku", "asin", "item id", "product", "stock code", "商品id",
                       "商品编号", "产品id", "artikelnummer", "produkt", "producto", "produit", "商品番号", "商品コード"],
        "date": ["date", "review date", "created at", "submitted at", "time", "timestamp", "review time", "日期",
                 "评论时间", "评价时间", "评论日期", "时间", "datum", "fecha", "日付", "投稿日", "レビュー日"],
        "rating": ["rating", "stars", "star rating", "score", "overall", "review rating", "评分", "星级", "评星",
                   "打分", "星数", "sterne", "bewertung", "sternebewertung", "puntuación", "valoración",
                   "estrellas", "note", "étoiles", "評価", "星", "星評価", "レビュー評価"],
        "title": ["title", "summary", "review title", "headline", "标题", "评论标题", "titel", "título", "titre",
                  "タイトル", "レビュータイトル"],
        "text": ["text", "review", "review text", "body", "content", "comment", "review body", "reviewtext",
                 "comments", "reviews", "verified reviews", "review content", "feedback text",
                 "评论内容", "评价内容", "评论", "评价", "内容", "商品评价", "用户评论", "买家评论", "评论文本",
                 "rezension", "bewertungstext", "kommentar", "reseña", "reseñas", "comentario", "opinión", "texto",
                 "avis", "commentaire", "texte", "レビュー", "レビュー本文", "本文", "コメント", "口コミ"],
        "customer_id": ["customer id", "customerid", "user id", "reviewer id", "author", "reviewer", "customer", "用户id"],
    },
    "traffic": {
        "date": ["date", "day", "session date", "日期"],
        "sessions": ["sessions", "visits", "visitors", "users", "traffic", "pageviews", "访问量", "访客数"],
        "channel": ["channel", "source", "medium", "default channel group", "渠道"],
        "ad_spend": ["ad spend", "spend", "cost", "ad cost", "marketing spend", "广告费"],
    },
    "experiment": {
        "unit_id": ["user id", "userid", "unit id", "visitor id", "customer id", "session id", "id", "user", "unit"],
        "variant": ["variant", "group", "arm", "bucket", "version", "treatment", "experiment group", "variation",
                    "test group", "ab group"],
    },
}

# Support tickets or chat messages (issue 14). conversation_id + sender mark a chat export with one
# row per message; ecom_models.support.tickets groups it into one ticket per conversation.
SYNONYMS["support"] = {
    "text": ["text", "message", "body", "description", "content", "ticket text", "message text", "customer message",
             "question", "query", "comment", "subject and body", "request", "内容", "消息", "问题描述", "留言"],
    "ticket_id": ["ticket id", "ticketid", "ticket", "ticket number", "case id", "case number", "id", "request id",
                  "工单号", "工单id", "工单编号"],
    "conversation_id": ["conversation id", "conversation", "chat id", "thread id", "session id", "chat session",
                        "会话id", "会话"],
    "sender": ["sender", "author", "from", "role", "speaker", "sender type", "author type", "direction", "发送者", "角色"],
    "created_at": ["created at", "created", "date", "created date", "opened at", "timestamp", "time", "sent at",
                   "received at", "创建时间", "时间", "日期"],
    "channel": ["channel", "source", "via", "medium", "渠道", "来源"],
    "customer_id": ["customer id", "customerid", "customer", "requester", "requester id", "user id", "email",
                    "customer email", "客户id", "用户id"],
    "order_id": ["order id", "orderid", "order number", "order", "order no", "订单号"],
    "resolution_minutes": ["resolution minutes", "handling time", "handle time", "resolution time", "minutes",
                           "time to resolve", "agent minutes", "aht", "handle time minutes", "处理时长"],
    "satisfaction": ["satisfaction", "csat", "satisfaction score", "rating", "customer satisfaction", "score",
                     "满意度", "评分"],
}

REQUIRED = {
    "orders": ["order_date"],
    "reviews": [],
    "traffic": ["date", "sessions"],
    "experiment": ["variant"],
    "support": ["text"],
}

# Only one of each group needs to be present.
REQUIRED_ANY = {
    "orders": [["unit_price", "revenue"], ["order_id", "product_id", "product_name"]],
    "reviews": [["text", "rating"]],
    "traffic": [],
    "experiment": [],
    "support": [],
}


def normalise_header(name: object) -> str:
    text = unicodedata.normalize("NFKC", str(name)).strip().lstrip("\ufeff")
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)  # camelCase -> camel Case
    text = text.lower()
    text = re.sub(r"[\s_\-./:#()\[\]]+", " ", text)
    return text.strip()


def _squash(text: str) -> str:
    return text.replace(" ", "")


SYNONYM_INDEX = {
    kind: {field: [normalise_header(s) for s in names] for field, names in fields.items()}
    for kind, fields in SYNONYMS.items()
}
